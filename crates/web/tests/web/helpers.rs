//! Starting a server for one test and stopping it when the test ends; a browser-like client; a fictional county to
//! sign in to, on both storage backends.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use mingjing_storage::testing::TestDb;
use mingjing_storage::{Account, Campaign, Member, NewAccount, NewCampaign, NewMember, Org, OrgKind, Role, Standing};
use mingjing_storage::{Backend, Store};
use mingjing_web::{
    AppState, Config, HEADER_READ_TIMEOUT, ManualClock, hash_password, router, run_with_header_timeout,
};
use reqwest::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// 2026-01-01 00:00 Beijing time: where every test's clock starts.
pub const START_MS: i64 = 1_767_196_800_000;
pub const MINUTE_MS: i64 = 60_000;
pub const DAY_MS: i64 = 86_400_000;
/// Every fixture account's password.
pub const PASSWORD: &str = "Mingjing@2025";

pub struct TestServer {
    pub address: SocketAddr,
    /// A client without cookies that does not follow redirects.
    pub client: reqwest::Client,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    /// The server's own state, for calling library functions as the server would.
    pub state: AppState,
    db: Option<TestDb>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        Self::on(TestDb::sqlite(), config).await
    }

    /// Binds port 0 so tests never collide, and reads the real port back.
    pub async fn on(db: TestDb, config: Config) -> Self {
        let store = db.store().await;
        let mut server = Self::serve(store, config).await;
        server.db = Some(db);
        server
    }

    /// A second server on a database another test server already uses (as a second
    /// process would be); stopping it leaves the database alone.
    pub async fn on_url(url: &str) -> Self {
        let store = Store::connect(url).await.expect("connect to the shared database");
        Self::serve(store, Config::default()).await
    }

    async fn serve(store: Store, config: Config) -> Self {
        let clock = Arc::new(ManualClock::new(START_MS));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
        let address = listener.local_addr().expect("the bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        // A test that shortens the request timeout gets as short a wait for headers.
        let header_timeout = config.request_timeout.min(HEADER_READ_TIMEOUT);
        let state = AppState::with_clock(config, store.clone(), clock.clone());
        let app = router(state.clone());
        let shutdown = async {
            let _ = stopped.await;
        };
        let task = tokio::spawn(run_with_header_timeout(listener, app, shutdown, header_timeout));
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client");
        Self { address, client, store, clock, state, db: None, stop: Some(stop), task: Some(task) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("the server answers")
    }

    /// Stops the server gracefully, waits until `run` returns, and removes the database.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let outcome = match self.task.take() {
            Some(task) => task.await.expect("the server task ends without panicking"),
            None => Ok(()),
        };
        self.store.close().await;
        if let Some(db) = self.db.take() {
            db.remove().await;
        }
        outcome
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A client that keeps cookies like a browser, sends its pages' Origin on posts, and does not follow redirects, so
/// tests can check where they point.
pub struct Browser {
    client: reqwest::Client,
    base: String,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Self { client, base: base.to_owned() }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.expect("the server answers")
    }

    pub async fn get_htmx(&self, path: &str) -> reqwest::Response {
        let request = self.client.get(format!("{}{path}", self.base)).header("hx-request", "true");
        request.send().await.expect("the server answers")
    }

    /// The status and text of a page.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        (response.status(), response.text().await.expect("a body"))
    }

    /// The form token on the page at `path`.
    pub async fn token(&self, path: &str) -> String {
        let (status, html) = self.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        form_token(&html).unwrap_or_else(|| panic!("no form token on {path}: {html}"))
    }

    /// Posts a form as a page of this site would.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(fields)
            .send()
            .await
            .expect("the server answers")
    }

    /// Posts a multipart form (a file upload) as a page of this site would.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .multipart(form)
            .send()
            .await
            .expect("the server answers")
    }

    /// The underlying client, for requests with headers of the test's own.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Fills in the login form and submits it.
    pub async fn login(&self, account: &str, password: &str) -> reqwest::Response {
        let token = self.token("/login").await;
        self.post("/login", &[("csrf", &token), ("account", account), ("password", password)]).await
    }

    /// Signs in and checks that it worked.
    pub async fn signed_in(base: &str, account: &str) -> Self {
        let browser = Self::new(base);
        let response = browser.login(account, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{account}: {}", response.text().await.expect("a body"));
        browser
    }
}

/// The value of the first `name="csrf"` field in `html`.
pub fn form_token(html: &str) -> Option<String> {
    let start = html.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}

/// Where a redirect points.
pub fn location(response: &reqwest::Response) -> &str {
    response.headers().get("location").map_or("", |v| v.to_str().expect("ASCII"))
}

/// The session cookie a response sets, if any.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mingjing_session="))
        .map(str::to_owned)
}

/// A county with one committee and two branches, a member in each, one account of every role, a new account that
/// still has its initial password, and a county-wide campaign.
pub struct Fixture {
    pub county: Org,
    pub committee: Org,
    pub branch_a: Org,
    pub branch_b: Org,
    pub member_a: Member,
    pub member_b: Member,
    pub superior: Account,
    pub secretary_a: Account,
    pub member_a_account: Account,
    pub member_b_account: Account,
    pub auditor: Account,
    pub system_admin: Account,
    pub newcomer: Account,
    pub security_admin: Account,
    pub campaign: Campaign,
}

/// Hashing costs tens of milliseconds; every fixture account shares one hash of [`PASSWORD`].
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).expect("hash the fixture password"))
}

impl Fixture {
    pub async fn seed(store: &Store) -> Self {
        let at = START_MS - DAY_MS;
        let org = |parent: Option<String>, name: &'static str, kind| {
            let store = store.clone();
            async move { store.create_org(parent.as_deref(), name, kind, at).await.expect("an organization") }
        };
        let county = org(None, "示范县委", OrgKind::County).await;
        let committee = org(Some(county.id.clone()), "县直机关工委", OrgKind::Committee).await;
        let branch_a = org(Some(committee.id.clone()), "县政务服务中心党支部", OrgKind::Branch).await;
        let branch_b = org(Some(committee.id.clone()), "县财政局党支部", OrgKind::Branch).await;
        let member = |org_id: String, name: &'static str| {
            let store = store.clone();
            async move {
                let new = NewMember {
                    org_id: &org_id,
                    name,
                    standing: Standing::Full,
                    joined_on: Some("2010-07-01"),
                    post: Some("科员"),
                    phone: None,
                    leading_cadre: false,
                };
                store.add_member(&new, at).await.expect("a member")
            }
        };
        let member_a = member(branch_a.id.clone(), "王建国").await;
        let member_b = member(branch_b.id.clone(), "李秀英").await;
        let account = |login: &'static str,
                       phone: Option<&'static str>,
                       name: &'static str,
                       role: Role,
                       org_id: String,
                       member_id: Option<String>,
                       initial: bool| {
            let store = store.clone();
            async move {
                let new = NewAccount {
                    login,
                    phone,
                    display_name: name,
                    role,
                    org_id: &org_id,
                    member_id: member_id.as_deref(),
                    password_hash: password_hash(),
                    must_change_password: initial,
                };
                store.create_account(&new, at).await.expect("an account")
            }
        };
        let superior = account("gongwei", None, "赵组织", Role::SuperiorAdmin, committee.id.clone(), None, false).await;
        let secretary_a =
            account("shuji_a", Some("13900000001"), "陈书记", Role::Secretary, branch_a.id.clone(), None, false).await;
        let member_a_account = account(
            "wangjianguo",
            Some("13800000001"),
            "王建国",
            Role::Member,
            branch_a.id.clone(),
            Some(member_a.id.clone()),
            false,
        )
        .await;
        let member_b_account =
            account("lixiuying", None, "李秀英", Role::Member, branch_b.id.clone(), Some(member_b.id.clone()), false)
                .await;
        let auditor = account("shenji", None, "孙审计", Role::Auditor, county.id.clone(), None, false).await;
        let system_admin = account("xitong", None, "周系统", Role::SystemAdmin, county.id.clone(), None, false).await;
        let newcomer = account("xinren", None, "吴新人", Role::Member, branch_a.id.clone(), None, true).await;
        let security_admin =
            account("anquan", None, "郑安全", Role::SecurityAdmin, county.id.clone(), None, false).await;
        let campaign = store
            .create_campaign(
                &NewCampaign {
                    org_id: &county.id,
                    year: 2025,
                    title: "专题组织生活会和民主评议党员",
                    notice: "",
                    definition: "id = \"2025\"",
                },
                at,
            )
            .await
            .expect("a campaign");
        Self {
            county,
            committee,
            branch_a,
            branch_b,
            member_a,
            member_b,
            superior,
            secretary_a,
            member_a_account,
            member_b_account,
            auditor,
            system_admin,
            newcomer,
            security_admin,
            campaign,
        }
    }
}

/// What a test body gets: the running server's address, its store and clock, and the fixture in it.
#[derive(Clone)]
pub struct App {
    pub base: String,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub db_url: String,
    pub fixture: Arc<Fixture>,
}

impl App {
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    pub async fn signed_in(&self, account: &str) -> Browser {
        Browser::signed_in(&self.base, account).await
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(std::time::Duration::from_millis(u64::try_from(minutes * MINUTE_MS).expect("forward")));
    }

    pub fn advance_seconds(&self, seconds: u64) {
        self.clock.advance(std::time::Duration::from_secs(seconds));
    }

    /// The server's time now, in Unix ms.
    pub fn clock_now(&self) -> i64 {
        mingjing_web::Clock::now_ms(self.clock.as_ref())
    }

    pub async fn audit(&self, action: &str) -> Vec<mingjing_storage::AuditEntry> {
        self.store.audit_entries(Some(action), 100).await.expect("the audit log")
    }
}

/// Runs `body` against a server on a fresh SQLite database, then one on a fresh PostgreSQL database, each seeded
/// with the [`Fixture`]; a failure names the backend, and the databases are removed either way.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    each_backend_with(Config::default, body).await;
}

/// [`each_backend`] with a configuration of the test's own.
pub async fn each_backend_with<C, F, Fut>(config: C, body: F)
where
    C: Fn() -> Config,
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres().await,
        };
        let db_url = db.url.clone();
        let server = TestServer::on(db, config()).await;
        let fixture = Arc::new(Fixture::seed(&server.store).await);
        let app =
            App { base: server.origin(), store: server.store.clone(), clock: server.clock.clone(), db_url, fixture };
        // On its own task, so that a failing assertion still lets the database be removed.
        let outcome = tokio::spawn(body(app)).await;
        server.stop().await.expect("the server stops");
        if let Err(error) = outcome {
            let message = match error.try_into_panic() {
                Ok(panic) => panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
                Err(error) => error.to_string(),
            };
            panic!("on {backend:?}: {message}");
        }
    }
}

/// Everything the test program logs from the moment this is first called: a process-wide subscriber, because the
/// server's request lines may be emitted wherever the runtime polls them, and a per-thread one misses some.
pub fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Arc::new(Mutex::new(Vec::<u8>::new()));
        let writer = {
            let captured = Arc::clone(&captured);
            move || Capture(Arc::clone(&captured))
        };
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(writer)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber of the test program");
        captured
    })
}

/// A log writer into a shared buffer.
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("the log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
