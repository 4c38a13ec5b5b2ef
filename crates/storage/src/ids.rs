//! Application-generated ids: UUIDv7, so ids sort by creation time on every backend and
//! no sequence or auto-increment (which differ between engines) is needed.

/// A new id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
