//! Password policy profiles. `dengbao` (the default) follows what a 等保 2.0 level-3 assessment checks: at least 8
//! characters from 3 of the 4 classes, a change every 90 days. `asvs` follows OWASP ASVS 5.0 V6.2: length over
//! composition (12 to 128 characters of any kind), no forced rotation, common and guessable passwords refused.
//! Both lock an account for 15 minutes after 5 failures in a row (ASVS allows lockout as its rate limit) and refuse a
//! password that contains the account's login or phone number.

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
    /// OWASP ASVS: length, no composition rules, no rotation, common passwords refused, lockout.
    Asvs,
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
            Self::Initial => "为了账号安全，首次登录、密码被重置或安全管理员要求更换后，请先设置新密码。",
            Self::Expired => "您的密码已使用超过 90 天，按安全规定请设置新密码后继续使用。",
        }
    }
}

impl PasswordPolicy {
    pub fn code(self) -> &'static str {
        match self {
            Self::Dengbao => "dengbao",
            Self::Asvs => "asvs",
        }
    }

    /// The profile named by a configuration value, `dengbao` or `asvs`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "dengbao" => Some(Self::Dengbao),
            "asvs" => Some(Self::Asvs),
            _ => None,
        }
    }

    /// The rules in one sentence, shown under the new-password field.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Dengbao => {
                "至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类，不能包含账号或手机号；每 90 天需更换一次。"
            }
            Self::Asvs => {
                "至少 12 位、最多 128 位，可以使用任何字符（包括空格和汉字），建议用一句好记的话；\
                 不能包含账号或手机号，不能是常见或容易猜到的密码。无需定期更换。"
            }
        }
    }

    /// Checks a new password for the account whose login (and phone) are given; the error is for the user.
    pub fn check(self, password: &str, login: &str, phone: Option<&str>) -> Result<(), &'static str> {
        match self {
            Self::Dengbao => check_dengbao(password, login, phone),
            Self::Asvs => check_asvs(password, login, phone),
        }
    }

    /// How old a password may get before it must be changed; `None` for no rotation.
    pub fn max_age(self) -> Option<Duration> {
        match self {
            Self::Dengbao => Some(DAY * 90),
            // ASVS 6.2.10: forced rotation makes people pick weaker, patterned passwords.
            Self::Asvs => None,
        }
    }

    /// Failed logins in a row that lock an account.
    pub fn lock_after(self) -> i64 {
        match self {
            Self::Dengbao | Self::Asvs => 5,
        }
    }

    /// How long a locked account stays locked.
    pub fn lock_for(self) -> Duration {
        match self {
            Self::Dengbao | Self::Asvs => Duration::from_secs(15 * 60),
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
    check_personal(password, login, phone)
}

/// The shortest `asvs` password; ASVS 6.2.1 asks for at least 8 and recommends 15, 12 is what people still type on
/// a phone.
const ASVS_MIN_CHARS: usize = 12;

/// Below this zxcvbn score (2: about 10^8 guesses or fewer) a password is treated as common or guessable.
const ASVS_MIN_SCORE: u8 = 3;

fn check_asvs(password: &str, login: &str, phone: Option<&str>) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < ASVS_MIN_CHARS {
        return Err("密码至少需要 12 位（可以使用空格和汉字，建议用一句好记的话）");
    }
    if chars > MAX_CHARS {
        return Err("密码不能超过 128 位");
    }
    check_personal(password, login, phone)?;
    // zxcvbn's dictionaries hold the common-password lists (passwords leaked in breaches, ranked by frequency),
    // and its pattern matchers catch keyboard walks, repeats, sequences and dates; the login and phone count as
    // known words too.
    let inputs: Vec<&str> = [login].into_iter().chain(phone).filter(|s| !s.trim().is_empty()).collect();
    if u8::from(zxcvbn::zxcvbn(password, &inputs).score()) < ASVS_MIN_SCORE {
        return Err("这个密码太常见或容易被猜到（如常用密码、键盘顺序、重复或连续的字符），请换一句更长、不常见的话");
    }
    Ok(())
}

/// Logins shorter than this are not looked for inside a password: “li” would refuse “Flight…”.
const MIN_PERSONAL_CHARS: usize = 3;

/// Refuses a password that contains the account's login or phone number, ignoring ASCII case: those are the first
/// things a guesser who knows the person tries.
fn check_personal(password: &str, login: &str, phone: Option<&str>) -> Result<(), &'static str> {
    let password = password.to_lowercase();
    let inside = |other: &str| {
        let other = other.trim().to_lowercase();
        other.chars().count() >= MIN_PERSONAL_CHARS && password.contains(&other)
    };
    if inside(login) || phone.is_some_and(inside) {
        return Err("密码不能包含账号或手机号");
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

    const ASVS: PasswordPolicy = PasswordPolicy::Asvs;

    #[test]
    fn dengbao_refuses_the_login_or_phone_inside_the_password() {
        const PERSONAL: Result<(), &str> = Err("密码不能包含账号或手机号");
        assert_eq!(DENGBAO.check("Zhang_San1", "zhang_san1", None), PERSONAL);
        assert_eq!(DENGBAO.check("My-zhang_San1!", "zhang_san1", None), PERSONAL, "inside, other case");
        assert_eq!(DENGBAO.check("Pw#13800001234", "li", Some("13800001234")), PERSONAL);
        assert_eq!(DENGBAO.check("Zhang_San1", "", None), Ok(()));
        assert_eq!(DENGBAO.check("Flight#2025", "li", None), Ok(()), "a two-letter login is not looked for");
        assert!(DENGBAO.hint().contains("至少三类"));
    }

    #[test]
    fn asvs_wants_length_not_composition() {
        for good in [
            "correct horse battery staple",
            "我家门前有两棵枣树，另一棵也是枣树",
            "老张家的猫昨天又跑到房顶上",
            "mingjing reviews are due in march",
            "tqzvwxkbnrjm",
        ] {
            assert_eq!(ASVS.check(good, "zhang", Some("13800001234")), Ok(()), "{good}");
        }
        assert_eq!(
            ASVS.check("Ab1!Ab1!x", "zhang", None),
            Err("密码至少需要 12 位（可以使用空格和汉字，建议用一句好记的话）")
        );
        assert!(ASVS.check(&"长".repeat(128), "zhang", None).is_err(), "one character repeated is guessable");
        let long: String = "我们支部今年的组织生活会开得很认真".chars().cycle().take(128).collect();
        assert_eq!(ASVS.check(&long, "zhang", None), Ok(()), "128 characters are allowed");
        assert_eq!(ASVS.check(&format!("{long}了"), "zhang", None), Err("密码不能超过 128 位"));
    }

    #[test]
    fn asvs_refuses_common_and_personal_passwords() {
        let common =
            Err("这个密码太常见或容易被猜到（如常用密码、键盘顺序、重复或连续的字符），请换一句更长、不常见的话");
        for bad in ["password1234", "123456789012", "qwertyuiop12", "aaaaaaaaaaaa", "iloveyou1234", "Password1234!"] {
            assert_eq!(ASVS.check(bad, "zhang", None), common, "{bad}");
        }
        assert_eq!(ASVS.check("zhang_san is my secret", "Zhang_San", None), Err("密码不能包含账号或手机号"));
        assert_eq!(ASVS.check("call me at 13800001234", "li", Some("13800001234")), Err("密码不能包含账号或手机号"));
        assert!(ASVS.hint().contains("至少 12 位") && ASVS.hint().contains("无需定期更换"));
    }

    #[test]
    fn profiles_are_named_by_their_codes() {
        for policy in [DENGBAO, ASVS] {
            assert_eq!(PasswordPolicy::from_code(policy.code()), Some(policy));
        }
        assert_eq!(PasswordPolicy::from_code(" ASVS "), Some(ASVS));
        assert_eq!(PasswordPolicy::from_code("nist"), None);
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

        assert_eq!(ASVS.change_due(&account, ninety_days * 10), None, "asvs never forces rotation");
        assert_eq!((ASVS.lock_after(), ASVS.lock_for()), (5, Duration::from_secs(900)), "asvs still locks");
        account.must_change_password = true;
        assert_eq!(ASVS.change_due(&account, 1), Some(ChangeDue::Initial), "an initial password is still changed");
    }
}
