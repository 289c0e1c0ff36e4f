//! The data directory's room check and its space reserve.

use pixpipe_local::space::{HEADROOM, RESERVE_BYTES, RESERVE_FILE, Space, SpaceError};

fn reserve_len(dir: &std::path::Path) -> Option<u64> {
    std::fs::metadata(dir.join(RESERVE_FILE))
        .ok()
        .map(|m| m.len())
}

#[test]
fn the_reserve_is_made_released_and_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let space = Space::open(dir.path());
    assert_eq!(reserve_len(dir.path()), Some(RESERVE_BYTES));
    // Opening again keeps the reserve as it is.
    let space_again = Space::open(dir.path());
    assert_eq!(reserve_len(dir.path()), Some(RESERVE_BYTES));
    drop(space_again);

    space.release();
    assert_eq!(reserve_len(dir.path()), None);
    // Releasing twice is harmless.
    space.release();

    // The next write that adds data makes it again.
    space.check_room(1).unwrap();
    assert_eq!(reserve_len(dir.path()), Some(RESERVE_BYTES));
}

#[test]
fn a_write_that_would_not_leave_the_headroom_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let space = Space::open(dir.path());
    match space.check_room(u64::MAX / 2) {
        Err(SpaceError::NoRoom(no_room)) => {
            assert_eq!(no_room.headroom, HEADROOM);
            assert!(no_room.available < u64::MAX / 2);
        }
        other => panic!("{other:?}"),
    }
    // Nothing was written.
    assert_eq!(reserve_len(dir.path()), Some(RESERVE_BYTES));
    space.check_room(0).unwrap();
}
