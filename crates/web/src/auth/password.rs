//! Password hashes: argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), as PHC strings that carry their own
//! parameters, so stronger settings later still verify today's hashes.
//!
//! One hash costs tens of milliseconds of CPU and 19 MiB of memory. [`Passwords`] runs them on the blocking pool and
//! lets only a few run at once: a flood of login attempts then queues (and meets the request timeout) instead of
//! taking every core and all the memory from the members writing their materials.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// How many hashes may run at once by default: the machine this targets has two cores.
pub const DEFAULT_CONCURRENT_HASHES: usize = 2;

/// OWASP's argon2id minimum: m = 19 MiB, t = 2, p = 1.
const M_COST_KIB: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

/// A hash of a password nobody knows, made with the parameters above. An unknown account is checked against it so
/// that it takes as long as a wrong password for a real one, and the response time does not tell which logins exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bWluZ2ppbmctZHVtbXktc2FsdA$1K5c2XWm2DQG7X+r0y8zPxyxkWg2pdvDK2TlNqcRZfE";

fn hasher() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password on the calling thread, with a fresh random salt. For tools (the demo, account import) that
/// create accounts outside a request; request handlers go through [`Passwords::hash`].
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let hash = hasher()?
        .hash_password(password.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot hash a password: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` matches a stored hash, on the calling thread. A hash that does not parse is an error, not a
/// mismatch: it means the accounts table holds something we did not write.
pub fn verify_password(hash: &str, password: &str) -> Result<bool, AppError> {
    match hasher()?.verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(AppError::Internal(anyhow::anyhow!("stored password hash is unusable: {e}"))),
    }
}

/// Hashing for request handlers: off the async threads, a bounded number at a time.
#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new(DEFAULT_CONCURRENT_HASHES)
    }
}

impl Passwords {
    /// At most `concurrent` hashes at once (at least one).
    pub fn new(concurrent: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrent.max(1))) }
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_password(&password)).await
    }

    pub async fn verify(&self, hash: String, password: String) -> Result<bool, AppError> {
        self.run(move || verify_password(&hash, &password)).await
    }

    /// Spends the time of a verification without an account, and always fails.
    pub async fn verify_unknown(&self, password: String) -> Result<bool, AppError> {
        self.run(move || verify_password(DUMMY_HASH, &password).map(|_| false)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        // Held until the blocking work ends; if the request is cancelled while waiting, its place is given up.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("password semaphore closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::phc::PasswordHash;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password("Mingjing@2025").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password(&hash, "Mingjing@2025").unwrap());
        assert!(!verify_password(&hash, "mingjing@2025").unwrap());
        assert_ne!(hash, hash_password("Mingjing@2025").unwrap(), "a fresh salt each time");
        assert!(verify_password("not a hash", "x").is_err());
    }

    /// The dummy must cost what a real verification costs, so it must carry the same parameters.
    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_ones() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let real_hash = hash_password("x").unwrap();
        let real = PasswordHash::new(&real_hash).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params.to_string(), real.params.to_string());
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(!verify_password(DUMMY_HASH, "").unwrap());
    }

    #[tokio::test]
    async fn concurrent_hashes_are_bounded() {
        let passwords = Passwords::new(1);
        let hash = passwords.hash("Abcdef12".into()).await.unwrap();
        let permits = Arc::clone(&passwords.permits);
        let held = permits.try_acquire().unwrap();
        let waiting = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.verify(hash, "Abcdef12".into()).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "waits for the permit");
        drop(held);
        assert!(waiting.await.unwrap().unwrap());
        assert!(!passwords.verify_unknown("Abcdef12".into()).await.unwrap());
    }
}
