//! Accounts and sign-in: password hashing, the password policy, database sessions, the signed-in user of a request,
//! the login, logout and change-password pages, and the optional second factor (TOTP).

mod handlers;
pub mod password;
pub mod policy;
pub mod second_factor;
pub mod session;
pub mod totp;

pub(crate) use handlers::{change_password, change_password_page, login, login_page, logout};
pub use password::{DEFAULT_CONCURRENT_HASHES, Passwords, hash_password, verify_password};
pub use policy::{ChangeDue, PasswordPolicy};
pub use session::{CurrentUser, SESSION_COOKIE, SessionUser, require_csrf};
