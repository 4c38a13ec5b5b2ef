//! Password policy profiles. `dengbao` follows what a 等保 2.0 level-3 assessment checks: at least 8 characters from
//! 3 of the 4 classes, a change every 90 days, and a 15-minute lockout after 5 failures. It is the default; the
//! length-based `asvs` profile (no rotation, breached passwords refused) is to come.

use std::time::Duration;

use mingjing_storage::Account;

use crate::clock::duration_ms;

const DAY: Duration = Duration::from_secs(86_400);

/// Longer passwords are refused: nobody types more, and it keeps the work of hashing bounded.
const MAX_CHARS: usize = 128;

/// Which rules passwords and logins follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordPolicy {
    /// 等保 2.0: complexity, 90-day rotation, lockout.
    #[default]
    Dengbao,
}

/// Why a signed-in user must set a new password before doing anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeDue {
    /// An initial or reset password, which someone else knew.
    Initial,
    /// Older than the policy allows.
    Expired,
}

impl ChangeDue {
    /// The notice above the change-password form.
    pub fn notice(self) -> &'static str {
        match self {
            Self::Initial => "为了账号安全，首次登录或密码被重置后，请先设置新密码。",
            Self::Expired => "您的密码已使用超过 90 天，按安全规定请设置新密码后继续使用。",
        }
    }
}

impl PasswordPolicy {
    pub fn code(self) -> &'static str {
        match self {
            Self::Dengbao => "dengbao",
        }
    }

    /// The rules in one sentence, shown under the new-password field.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Dengbao => {
                "至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类，不能与账号或手机号相同；每 90 天需更换一次。"
            }
        }
    }

    /// Checks a new password for the account whose login (and phone) are given; the error is for the user.
    pub fn check(self, password: &str, login: &str, phone: Option<&str>) -> Result<(), &'static str> {
        match self {
            Self::Dengbao => check_dengbao(password, login, phone),
        }
    }

    /// How old a password may get before it must be changed; `None` for no rotation.
    pub fn max_age(self) -> Option<Duration> {
        match self {
            Self::Dengbao => Some(DAY * 90),
        }
    }

    /// Failed logins in a row that lock an account.
    pub fn lock_after(self) -> i64 {
        match self {
            Self::Dengbao => 5,
        }
    }

    /// How long a locked account stays locked.
    pub fn lock_for(self) -> Duration {
        match self {
            Self::Dengbao => Duration::from_secs(15 * 60),
        }
    }

    /// Whether `account` must change its password at `now` (Unix ms), and why.
    pub fn change_due(self, account: &Account, now: i64) -> Option<ChangeDue> {
        if account.must_change_password {
            return Some(ChangeDue::Initial);
        }
        let max_age = duration_ms(self.max_age()?);
        (now.saturating_sub(account.password_changed_at) >= max_age).then_some(ChangeDue::Expired)
    }
}

fn check_dengbao(password: &str, login: &str, phone: Option<&str>) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < 8 {
        return Err("密码至少需要 8 位");
    }
    if chars > MAX_CHARS {
        return Err("密码不能超过 128 位");
    }
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    // Any other visible character counts as a symbol, Chinese punctuation included: 等保 asks for variety, and a
    // member typing on a phone's Chinese keyboard reaches those first.
    let symbol = password.chars().any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace());
    if [lower, upper, digit, symbol].into_iter().filter(|&present| present).count() < 3 {
        return Err("密码需包含大写字母、小写字母、数字、符号中的至少三类");
    }
    let same_as = |other: &str| !other.trim().is_empty() && password.trim().eq_ignore_ascii_case(other.trim());
    if same_as(login) || phone.is_some_and(same_as) {
        return Err("密码不能与账号或手机号相同");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mingjing_storage::Role;

    const DENGBAO: PasswordPolicy = PasswordPolicy::Dengbao;

    #[test]
    fn dengbao_wants_eight_characters_from_three_classes() {
        assert_eq!(DENGBAO.check("Ab1!", "zhang", None), Err("密码至少需要 8 位"));
        assert_eq!(
            DENGBAO.check("abcdefgh", "zhang", None),
            Err("密码需包含大写字母、小写字母、数字、符号中的至少三类")
        );
        assert_eq!(
            DENGBAO.check("abcdefg1", "zhang", None),
            Err("密码需包含大写字母、小写字母、数字、符号中的至少三类")
        );
        assert_eq!(
            DENGBAO.check("ABCDEFG1", "zhang", None),
            Err("密码需包含大写字母、小写字母、数字、符号中的至少三类")
        );
        for good in ["Abcdefg1", "abcdefg1!", "ABCDEFG1#", "Abcdefg!", "abcd1234，", "Mingjing@2025"] {
            assert_eq!(DENGBAO.check(good, "zhang", None), Ok(()), "{good}");
        }
        assert_eq!(DENGBAO.check(&"Ab1!".repeat(33), "zhang", None), Err("密码不能超过 128 位"));
        assert_eq!(DENGBAO.check("Ab1!Ab1!", "zhang", None), Ok(()), "exactly 8");
    }

    #[test]
    fn dengbao_refuses_the_login_or_phone_as_password() {
        assert_eq!(DENGBAO.check("Zhang_San1", "zhang_san1", None), Err("密码不能与账号或手机号相同"));
        assert_eq!(DENGBAO.check("1380000000a!", "li", Some("1380000000A!")), Err("密码不能与账号或手机号相同"));
        assert_eq!(DENGBAO.check("Zhang_San1", "", None), Ok(()));
        assert!(!DENGBAO.hint().is_empty());
    }

    #[test]
    fn passwords_are_due_when_initial_or_older_than_ninety_days() {
        let mut account = Account {
            id: "a".into(),
            login: "zhang".into(),
            phone: None,
            display_name: "张三".into(),
            role: Role::Member,
            org_id: "o".into(),
            member_id: None,
            password_hash: String::new(),
            must_change_password: true,
            password_changed_at: 0,
            failed_logins: 0,
            locked_until: None,
            disabled: false,
        };
        assert_eq!(DENGBAO.change_due(&account, 1), Some(ChangeDue::Initial));
        account.must_change_password = false;
        let ninety_days = 90 * 86_400_000;
        assert_eq!(DENGBAO.change_due(&account, ninety_days - 1), None);
        assert_eq!(DENGBAO.change_due(&account, ninety_days), Some(ChangeDue::Expired));
        assert_eq!((DENGBAO.lock_after(), DENGBAO.lock_for()), (5, Duration::from_secs(900)));
    }
}
