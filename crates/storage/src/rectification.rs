//! 整改清单 / 台账: a branch's rectification items in a campaign, their progress notes with
//! evidence, verification (销号) by someone other than the owner, publication to the
//! branch, and the carry-over of unfinished items into a later campaign. Every state
//! change is a guarded update (version and state in the WHERE clause), so two tabs, a
//! double submit or a self-verification fail here whatever the web layer checked.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, new_id};

/// Largest attachment accepted, in bytes (5 MiB; the table checks it too).
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;

/// Where an item stands. 逾期 is not a status: it is derived from the deadline and the clock
/// ([`RectificationItem::overdue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RectificationStatus {
    NotStarted,
    InProgress,
    Done,
    Verified,
}

impl RectificationStatus {
    pub const ALL: [Self; 4] = [Self::NotStarted, Self::InProgress, Self::Done, Self::Verified];

    pub fn code(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Verified => "verified",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotStarted => "未开始",
            Self::InProgress => "整改中",
            Self::Done => "已完成",
            Self::Verified => "已验收",
        }
    }

    /// Done or verified: nothing left for the owner to do.
    pub fn finished(self) -> bool {
        matches!(self, Self::Done | Self::Verified)
    }
}

/// Where an item's problem came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OriginKind {
    /// A problem item of an approved material.
    Material,
    /// A criticism entry of the meeting minutes.
    Criticism,
    /// An opinion collected (its key changes on every write of the channel, so the
    /// quoted text is what identifies it).
    Opinion,
    /// Typed by hand.
    Manual,
}

impl OriginKind {
    pub const ALL: [Self; 4] = [Self::Material, Self::Criticism, Self::Opinion, Self::Manual];

    pub fn code(self) -> &'static str {
        match self {
            Self::Material => "material",
            Self::Criticism => "criticism",
            Self::Opinion => "opinion",
            Self::Manual => "manual",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Material => "对照检查材料",
            Self::Criticism => "会上批评意见",
            Self::Opinion => "征求的意见",
            Self::Manual => "手工填写",
        }
    }
}

/// One item of a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RectificationItem {
    pub id: String,
    /// The campaign the item was raised in.
    pub campaign_id: String,
    /// The branch.
    pub org_id: String,
    /// Whose problem: a member, or `None` for the branch as a whole.
    pub member_id: Option<String>,
    pub owner_member_id: String,
    pub origin_kind: OriginKind,
    pub origin_ref: String,
    pub problem: String,
    pub measure: String,
    /// `YYYY-MM-DD`, Beijing time.
    pub deadline: String,
    pub status: RectificationStatus,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub verified_at: Option<i64>,
    pub verified_by: Option<String>,
    pub verify_note: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Listed in a ledger it was carried into (上年结转), not raised in.
    pub carried_over: bool,
}

impl RectificationItem {
    /// 逾期: the deadline (a day, inclusive) has passed on `today` (`YYYY-MM-DD`, Beijing)
    /// and the item is not done.
    pub fn overdue(&self, today: &str) -> bool {
        !self.status.finished() && self.deadline.as_str() < today
    }
}

/// What it takes to raise an item.
#[derive(Debug, Clone, Copy)]
pub struct NewRectification<'a> {
    pub campaign_id: &'a str,
    pub org_id: &'a str,
    pub member_id: Option<&'a str>,
    pub owner_member_id: &'a str,
    pub origin_kind: OriginKind,
    pub origin_ref: &'a str,
    pub problem: &'a str,
    pub measure: &'a str,
    pub deadline: &'a str,
    /// The form's one-time token: a second insert with it finds it taken.
    pub form_token: &'a str,
    pub by: &'a str,
}

/// What the secretary may change of an item before it is verified.
#[derive(Debug, Clone, Copy)]
pub struct RectificationEdit<'a> {
    pub owner_member_id: &'a str,
    pub measure: &'a str,
    pub deadline: &'a str,
}

/// A kind of evidence file accepted, told by its first bytes, never by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Pdf,
    Jpeg,
    Png,
    Docx,
    Xlsx,
}

impl AttachmentKind {
    pub const ALL: [Self; 5] = [Self::Pdf, Self::Jpeg, Self::Png, Self::Docx, Self::Xlsx];

    /// The kind the bytes are, if accepted. A zip is a .docx or an .xlsx by the part it
    /// names first-level (`word/` or `xl/`), which Office and WPS write near the start.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"PK\x03\x04") {
            let names = zip_entry_names(bytes);
            if names.iter().any(|n| n.starts_with("word/")) {
                Some(Self::Docx)
            } else if names.iter().any(|n| n.starts_with("xl/")) {
                Some(Self::Xlsx)
            } else {
                None
            }
        } else {
            None
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The names of a zip's local file headers, walked from the start (bounded: the first
/// 64 entries are enough to tell a document from a workbook).
fn zip_entry_names(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 0usize;
    while names.len() < 64 {
        let Some(header) = bytes.get(at..at + 30) else { break };
        if !header.starts_with(b"PK\x03\x04") {
            break;
        }
        let le16 = |i: usize| usize::from(u16::from_le_bytes([header[i], header[i + 1]]));
        let le32 = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]) as usize;
        let (flags, compressed, name_len, extra_len) = (le16(6), le32(18), le16(26), le16(28));
        let Some(name) = bytes.get(at + 30..at + 30 + name_len) else { break };
        names.push(String::from_utf8_lossy(name).into_owned());
        // With a data descriptor (flag bit 3) the size is not in the header: stop there.
        if flags & 0x8 != 0 {
            break;
        }
        at = at.saturating_add(30 + name_len + extra_len).saturating_add(compressed);
    }
    names
}

/// An attachment offered with a note.
#[derive(Debug, Clone, Copy)]
pub struct NewAttachment<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// A stored attachment, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub id: String,
    pub note_id: String,
    pub file_name: String,
    pub kind: AttachmentKind,
    pub size: i64,
}

/// A progress note with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RectificationNote {
    pub id: String,
    pub item_id: String,
    pub author_id: String,
    pub created_at: i64,
    pub body: String,
    pub attachments: Vec<AttachmentInfo>,
}

/// Why an attachment is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentProblem {
    Empty {
        file_name: String,
    },
    TooLarge {
        file_name: String,
        size: usize,
    },
    /// Not a pdf, jpg, png, docx or xlsx by its bytes, whatever its name says.
    Kind {
        file_name: String,
    },
}

impl NewAttachment<'_> {
    /// The kind, or why the file is refused.
    pub fn check(&self) -> Result<AttachmentKind, AttachmentProblem> {
        let file_name = self.file_name.to_owned();
        if self.bytes.is_empty() {
            return Err(AttachmentProblem::Empty { file_name });
        }
        if self.bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(AttachmentProblem::TooLarge { file_name, size: self.bytes.len() });
        }
        AttachmentKind::sniff(self.bytes).ok_or(AttachmentProblem::Kind { file_name })
    }
}

/// Why a write to the ledger was refused.
#[derive(Debug, thiserror::Error)]
pub enum RectificationError {
    /// Changed since the writer read it.
    #[error("changed by someone else")]
    Stale,
    /// The form's one-time token was used already: the first submit's result, by id.
    #[error("already submitted")]
    AlreadySubmitted(String),
    /// The verifier is the owner (or the account of the owner).
    #[error("the owner cannot verify their own item")]
    SelfVerification,
    /// Verification of an item not marked done.
    #[error("only a done item can be verified")]
    NotDone,
    /// A change to a verified item.
    #[error("the item is verified")]
    Verified,
    /// The owner or the member is not on the branch's roster.
    #[error("not a member of the branch")]
    NotInBranch,
    #[error("attachment refused: {0:?}")]
    Attachment(AttachmentProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RectificationError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// A publication of a branch's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerPublication {
    pub published_at: i64,
    pub published_by: String,
}

macro_rules! item_columns {
    () => {
        "i.id, i.campaign_id, i.org_id, i.member_id, i.owner_member_id, i.origin_kind, i.origin_ref, i.problem, \
         i.measure, i.deadline, i.status, i.done_at, i.done_by, i.verified_at, i.verified_by, i.verify_note, \
         i.version, i.created_at, i.updated_at"
    };
}

fn item_row(row: &AnyRow, carried_over: bool) -> Result<RectificationItem, StoreError> {
    let kind: String = row.try_get("origin_kind")?;
    let status: String = row.try_get("status")?;
    Ok(RectificationItem {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        org_id: row.try_get("org_id")?,
        member_id: row.try_get("member_id")?,
        owner_member_id: row.try_get("owner_member_id")?,
        origin_kind: OriginKind::from_code(&kind).ok_or_else(|| StoreError::State(format!("origin {kind}")))?,
        origin_ref: row.try_get("origin_ref")?,
        problem: row.try_get("problem")?,
        measure: row.try_get("measure")?,
        deadline: row.try_get("deadline")?,
        status: RectificationStatus::from_code(&status).ok_or_else(|| StoreError::State(format!("status {status}")))?,
        done_at: row.try_get("done_at")?,
        done_by: row.try_get("done_by")?,
        verified_at: row.try_get("verified_at")?,
        verified_by: row.try_get("verified_by")?,
        verify_note: row.try_get("verify_note")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        carried_over,
    })
}

impl Store {
    /// Raises an item. A token used before gives [`RectificationError::AlreadySubmitted`]
    /// with the item it raised; an owner or member not on the branch's roster (its
    /// 党小组 included) is refused.
    pub async fn add_rectification(
        &self,
        new: &NewRectification<'_>,
        now: i64,
    ) -> Result<RectificationItem, RectificationError> {
        if let Some(existing) = self.rectification_by_token(new.form_token).await? {
            return Err(RectificationError::AlreadySubmitted(existing));
        }
        let mut people = vec![new.owner_member_id];
        people.extend(new.member_id);
        for member in people {
            if !self.member_in_branch(member, new.org_id).await? {
                return Err(RectificationError::NotInBranch);
            }
        }
        let id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO rectification_items (id, campaign_id, org_id, member_id, owner_member_id, origin_kind, \
             origin_ref, problem, measure, deadline, status, version, form_token, created_at, created_by, \
             updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'not_started', 1, $11, $12, $13, $12, $13)",
        )
        .bind(&id)
        .bind(new.campaign_id)
        .bind(new.org_id)
        .bind(new.member_id)
        .bind(new.owner_member_id)
        .bind(new.origin_kind.code())
        .bind(new.origin_ref)
        .bind(new.problem)
        .bind(new.measure)
        .bind(new.deadline)
        .bind(new.form_token)
        .bind(now)
        .bind(new.by)
        .execute(self.pool())
        .await;
        match inserted.map_err(StoreError::from) {
            Ok(_) => Ok(self.rectification(&id).await?),
            // The same form submitted twice at once: the other insert won.
            Err(StoreError::Duplicate(_)) => match self.rectification_by_token(new.form_token).await? {
                Some(existing) => Err(RectificationError::AlreadySubmitted(existing)),
                None => Err(RectificationError::Stale),
            },
            Err(e) => Err(e.into()),
        }
    }

    async fn rectification_by_token(&self, token: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT id FROM rectification_items WHERE form_token = $1")
            .bind(token)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get("id")).transpose().map_err(StoreError::from)
    }

    /// Whether a member is on the roster of the branch `org_id` or of a 党小组 under it.
    async fn member_in_branch(&self, member_id: &str, org_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM members p JOIN organizations o ON o.id = p.org_id \
             JOIN organizations b ON b.id = $2 WHERE p.id = $1 AND o.path LIKE b.path || '%'",
        )
        .bind(member_id)
        .bind(org_id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// One item, by id.
    pub async fn rectification(&self, id: &str) -> Result<RectificationItem, StoreError> {
        let row = sqlx::query(concat!("SELECT ", item_columns!(), " FROM rectification_items i WHERE i.id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        item_row(&row, false)
    }

    /// A branch's ledger of a campaign: the items raised in it, then those carried into
    /// it from earlier campaigns (marked), each group oldest first.
    pub async fn rectification_ledger(
        &self,
        campaign_id: &str,
        org_id: &str,
    ) -> Result<Vec<RectificationItem>, StoreError> {
        let own = sqlx::query(concat!(
            "SELECT ",
            item_columns!(),
            " FROM rectification_items i WHERE i.campaign_id = $1 AND i.org_id = $2 ORDER BY i.created_at, i.id"
        ))
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let carried = sqlx::query(concat!(
            "SELECT ",
            item_columns!(),
            " FROM rectification_items i JOIN rectification_carryovers c ON c.item_id = i.id \
              WHERE c.campaign_id = $1 AND i.org_id = $2 ORDER BY i.created_at, i.id"
        ))
        .bind(campaign_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let mut items = own.iter().map(|r| item_row(r, false)).collect::<Result<Vec<_>, _>>()?;
        for row in &carried {
            items.push(item_row(row, true)?);
        }
        Ok(items)
    }

    /// A member's own items (as the one whose problem it is) raised in a campaign.
    pub async fn rectifications_of_member(
        &self,
        campaign_id: &str,
        member_id: &str,
    ) -> Result<Vec<RectificationItem>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            item_columns!(),
            " FROM rectification_items i WHERE i.campaign_id = $1 AND i.member_id = $2 ORDER BY i.created_at, i.id"
        ))
        .bind(campaign_id)
        .bind(member_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| item_row(r, false)).collect()
    }

    /// Changes the owner, measure or deadline of an item at version `seen` not yet verified.
    pub async fn edit_rectification(
        &self,
        id: &str,
        seen: i64,
        edit: &RectificationEdit<'_>,
        by: &str,
        now: i64,
    ) -> Result<RectificationItem, RectificationError> {
        let item = self.rectification(id).await?;
        if !self.member_in_branch(edit.owner_member_id, &item.org_id).await? {
            return Err(RectificationError::NotInBranch);
        }
        let done = sqlx::query(
            "UPDATE rectification_items SET owner_member_id = $3, measure = $4, deadline = $5, \
             version = version + 1, updated_at = $6, updated_by = $7 \
             WHERE id = $1 AND version = $2 AND status <> 'verified'",
        )
        .bind(id)
        .bind(seen)
        .bind(edit.owner_member_id)
        .bind(edit.measure)
        .bind(edit.deadline)
        .bind(now)
        .bind(by)
        .execute(self.pool())
        .await?;
        self.after_guarded(id, done.rows_affected()).await
    }

    /// Moves an item at version `seen` to 未开始, 整改中 or 已完成 (verification is
    /// [`Store::verify_rectification`]); a verified item no longer changes. Marking it done
    /// records who and when; moving it back clears that.
    pub async fn set_rectification_status(
        &self,
        id: &str,
        seen: i64,
        status: RectificationStatus,
        by: &str,
        now: i64,
    ) -> Result<RectificationItem, RectificationError> {
        if status == RectificationStatus::Verified {
            return Err(RectificationError::NotDone);
        }
        let (done_at, done_by) = if status == RectificationStatus::Done { (Some(now), Some(by)) } else { (None, None) };
        let done = sqlx::query(
            "UPDATE rectification_items SET status = $3, done_at = $4, done_by = $5, version = version + 1, \
             updated_at = $6, updated_by = $7 WHERE id = $1 AND version = $2 AND status <> 'verified'",
        )
        .bind(id)
        .bind(seen)
        .bind(status.code())
        .bind(done_at)
        .bind(done_by)
        .bind(now)
        .bind(by)
        .execute(self.pool())
        .await?;
        self.after_guarded(id, done.rows_affected()).await
    }

    /// 销号: verifies a done item at version `seen`. The verifier is never the owner: an
    /// account linked to the owner's roster entry is refused, and so is the account that
    /// marked it done when that account is the owner's.
    pub async fn verify_rectification(
        &self,
        id: &str,
        seen: i64,
        by: &str,
        note: &str,
        now: i64,
    ) -> Result<RectificationItem, RectificationError> {
        // The rule is in the update itself, so no interleaving gets round it.
        let done = sqlx::query(
            "UPDATE rectification_items SET status = 'verified', verified_at = $4, verified_by = $3, \
             verify_note = $5, version = version + 1, updated_at = $4, updated_by = $3 \
             WHERE id = $1 AND version = $2 AND status = 'done' \
             AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = $3 AND a.member_id = rectification_items.owner_member_id) \
             AND NOT EXISTS (SELECT 1 FROM accounts d WHERE d.id = rectification_items.done_by AND d.id = $3 \
                 AND d.member_id = rectification_items.owner_member_id)",
        )
        .bind(id)
        .bind(seen)
        .bind(by)
        .bind(now)
        .bind(note)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(self.rectification(id).await?);
        }
        let item = self.rectification(id).await?;
        let verifier = sqlx::query("SELECT member_id FROM accounts WHERE id = $1")
            .bind(by)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.try_get::<Option<String>, _>("member_id"))
            .transpose()?
            .flatten();
        Err(if verifier.as_deref() == Some(item.owner_member_id.as_str()) {
            RectificationError::SelfVerification
        } else if item.status == RectificationStatus::Verified {
            RectificationError::Verified
        } else if item.version != seen {
            RectificationError::Stale
        } else {
            RectificationError::NotDone
        })
    }

    /// The item after a guarded update, or why it touched nothing.
    async fn after_guarded(&self, id: &str, affected: u64) -> Result<RectificationItem, RectificationError> {
        let item = self.rectification(id).await?;
        if affected == 1 {
            Ok(item)
        } else if item.status == RectificationStatus::Verified {
            Err(RectificationError::Verified)
        } else {
            Err(RectificationError::Stale)
        }
    }

    /// Appends a progress note with its evidence to an item not yet verified. Each file is
    /// checked by its bytes (pdf, jpg, png, docx, xlsx) and size (≤ 5 MiB); a token used
    /// before gives [`RectificationError::AlreadySubmitted`] with the note's id.
    pub async fn add_rectification_note(
        &self,
        item_id: &str,
        body: &str,
        attachments: &[NewAttachment<'_>],
        form_token: &str,
        by: &str,
        now: i64,
    ) -> Result<RectificationNote, RectificationError> {
        let kinds = attachments
            .iter()
            .map(|a| a.check().map(|kind| (a, kind)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(RectificationError::Attachment)?;
        if let Some(existing) = self.note_by_token(form_token).await? {
            return Err(RectificationError::AlreadySubmitted(existing));
        }
        let mut tx = self.pool().begin().await?;
        // Verified items are closed: the evidence is what it was when verified.
        let open = sqlx::query("SELECT status FROM rectification_items WHERE id = $1")
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if open.try_get::<String, _>("status")? == RectificationStatus::Verified.code() {
            return Err(RectificationError::Verified);
        }
        let id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO rectification_notes (id, item_id, author_id, created_at, body, form_token) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(item_id)
        .bind(by)
        .bind(now)
        .bind(body)
        .bind(form_token)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted.map_err(StoreError::from) {
            drop(tx);
            return match (e, self.note_by_token(form_token).await?) {
                (StoreError::Duplicate(_), Some(existing)) => Err(RectificationError::AlreadySubmitted(existing)),
                (e, _) => Err(e.into()),
            };
        }
        for (attachment, kind) in kinds {
            sqlx::query(
                "INSERT INTO rectification_attachments (id, note_id, file_name, kind, size, bytes) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(attachment.file_name)
            .bind(kind.code())
            .bind(attachment.bytes.len() as i64)
            .bind(attachment.bytes.to_vec())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let notes = self.rectification_notes(item_id).await?;
        notes.into_iter().find(|n| n.id == id).ok_or(RectificationError::Store(StoreError::NotFound))
    }

    async fn note_by_token(&self, token: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT id FROM rectification_notes WHERE form_token = $1")
            .bind(token)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get("id")).transpose().map_err(StoreError::from)
    }

    /// An item's progress notes, oldest first, each with its attachments (without bytes).
    pub async fn rectification_notes(&self, item_id: &str) -> Result<Vec<RectificationNote>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, item_id, author_id, created_at, body FROM rectification_notes WHERE item_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(item_id)
        .fetch_all(self.pool())
        .await?;
        let files = sqlx::query(
            "SELECT a.id, a.note_id, a.file_name, a.kind, a.size FROM rectification_attachments a \
             JOIN rectification_notes n ON n.id = a.note_id WHERE n.item_id = $1 ORDER BY a.file_name, a.id",
        )
        .bind(item_id)
        .fetch_all(self.pool())
        .await?;
        let files = files.iter().map(attachment_row).collect::<Result<Vec<_>, _>>()?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(RectificationNote {
                    attachments: files.iter().filter(|f| f.note_id == id).cloned().collect(),
                    id,
                    item_id: r.try_get("item_id")?,
                    author_id: r.try_get("author_id")?,
                    created_at: r.try_get("created_at")?,
                    body: r.try_get("body")?,
                })
            })
            .collect()
    }

    /// An attachment with its bytes, and the item it is evidence for.
    pub async fn rectification_attachment(&self, id: &str) -> Result<(AttachmentInfo, Vec<u8>, String), StoreError> {
        let row = sqlx::query(
            "SELECT a.id, a.note_id, a.file_name, a.kind, a.size, a.bytes, n.item_id FROM rectification_attachments a \
             JOIN rectification_notes n ON n.id = a.note_id WHERE a.id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok((attachment_row(&row)?, row.try_get("bytes")?, row.try_get("item_id")?))
    }

    /// Publishes a branch's ledger of a campaign to the branch (again: the first time stays).
    pub async fn publish_rectification_ledger(
        &self,
        campaign_id: &str,
        org_id: &str,
        by: &str,
        now: i64,
    ) -> Result<LedgerPublication, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO rectification_publications (campaign_id, org_id, published_at, published_by) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(campaign_id)
        .bind(org_id)
        .bind(now)
        .bind(by)
        .execute(self.pool())
        .await;
        match inserted.map_err(StoreError::from) {
            Ok(_) | Err(StoreError::Duplicate(_)) => {}
            Err(e) => return Err(e),
        }
        self.rectification_publication(campaign_id, org_id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn rectification_publication(
        &self,
        campaign_id: &str,
        org_id: &str,
    ) -> Result<Option<LedgerPublication>, StoreError> {
        let row = sqlx::query(
            "SELECT published_at, published_by FROM rectification_publications WHERE campaign_id = $1 AND org_id = $2",
        )
        .bind(campaign_id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(LedgerPublication { published_at: r.try_get("published_at")?, published_by: r.try_get("published_by")? })
        })
        .transpose()
    }

    /// Carries into campaign `campaign_id` every unfinished item (未开始 or 整改中) raised in
    /// an earlier year's campaign by a branch of its subtree; run when a campaign is opened
    /// (and safe to run again). Returns how many items were carried now.
    pub async fn carry_over_rectification(&self, campaign_id: &str, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO rectification_carryovers (campaign_id, item_id, carried_at) \
             SELECT n.id, i.id, $2 FROM campaigns n \
             JOIN organizations root ON root.id = n.org_id \
             JOIN rectification_items i ON i.status IN ('not_started', 'in_progress') \
             JOIN campaigns c ON c.id = i.campaign_id AND c.year < n.year \
             JOIN organizations o ON o.id = i.org_id AND o.path LIKE root.path || '%' \
             WHERE n.id = $1 \
             AND NOT EXISTS (SELECT 1 FROM rectification_carryovers x WHERE x.campaign_id = n.id AND x.item_id = i.id)",
        )
        .bind(campaign_id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

fn attachment_row(row: &AnyRow) -> Result<AttachmentInfo, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(AttachmentInfo {
        id: row.try_get("id")?,
        note_id: row.try_get("note_id")?,
        file_name: row.try_get("file_name")?,
        kind: AttachmentKind::from_code(&kind).ok_or_else(|| StoreError::State(format!("attachment {kind}")))?,
        size: row.try_get("size")?,
    })
}

#[cfg(test)]
#[path = "rectification_tests.rs"]
mod tests;
