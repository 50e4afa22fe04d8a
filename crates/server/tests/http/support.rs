//! What the HTTP test files share: a server on a fresh database, users made in the store, and
//! the form, session and API requests a browser or client sends.

use std::net::SocketAddr;

use vigil_domain::access::Role;
use vigil_server::{AppState, Application};
use vigil_store::Store;
use vigil_store::accounts::{NewUser, OrgScope, Organisation, User};

use super::{Reply, form, request, today};

/// The password of every user the tests make.
pub const PW: &str = "correct horse battery";
/// The content type of a form post.
pub const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
/// What a browser says of a same-origin post.
pub const SAME: (&str, &str) = ("Sec-Fetch-Site", "same-origin");

/// A running server on a fresh SQLite database (removed with the value).
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    pub store: Store,
    pub _dir: tempfile::TempDir,
}

/// A fresh database, on which `prepare` runs before the server starts.
pub fn fresh_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("v.db").display())).unwrap();
    (store, dir)
}

/// A server on `store` (its database in `dir`).
pub async fn serve(store: Store, dir: tempfile::TempDir) -> Server {
    let state = AppState::embedded(today)
        .unwrap()
        .with_store(store.clone(), false);
    let app = Application::bind("127.0.0.1:0".parse().unwrap(), state.clone())
        .await
        .unwrap();
    let addr = app.local_addr().unwrap();
    tokio::spawn(app.serve());
    Server {
        addr,
        state,
        store,
        _dir: dir,
    }
}

/// A server on a fresh database.
pub async fn spawn_with_store() -> Server {
    let (store, dir) = fresh_store();
    serve(store, dir).await
}

/// Runs blocking work (the store's) off the async threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Creates a user with `role` in organisation `org` (created when new), password [`PW`].
pub fn create_user(
    store: &Store,
    email: &str,
    name: &str,
    org: &str,
    role: Role,
) -> (User, Organisation) {
    store
        .admin_create_user(
            &NewUser {
                email,
                display_name: name,
                password: PW,
            },
            org,
            role,
            "test",
        )
        .unwrap()
}

/// Creates a user as [`create_user`] does: their scope in the organisation.
pub fn create_member(store: &Store, email: &str, name: &str, org: &str, role: Role) -> OrgScope {
    let (u, o) = create_user(store, email, name, org, role);
    store.scope(&u.id, &o.id).unwrap().unwrap()
}

/// A same-origin form post, with the session `cookie` when given.
pub async fn post(addr: SocketAddr, path: &str, cookie: Option<&str>, body: &str) -> Reply {
    let c = cookie.map(|c| format!("vigil_session={c}"));
    let mut h = vec![FORM, SAME];
    if let Some(c) = &c {
        h.push(("Cookie", c.as_str()));
    }
    request(addr, "POST", path, &h, body).await
}

/// A GET, with the session `cookie` when given.
pub async fn get(addr: SocketAddr, path: &str, cookie: Option<&str>) -> Reply {
    let c = cookie.map(|c| format!("vigil_session={c}"));
    let mut h = vec![];
    if let Some(c) = &c {
        h.push(("Cookie", c.as_str()));
    }
    request(addr, "GET", path, &h, "").await
}

/// An API call with a bearer token and a JSON body.
pub async fn api(addr: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> Reply {
    let auth = format!("Bearer {token}");
    request(
        addr,
        method,
        path,
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .await
}

/// The session token a reply sets.
pub fn session(r: &Reply) -> String {
    let c = r
        .headers
        .get("set-cookie")
        .unwrap_or_else(|| panic!("no cookie: {} {}", r.status, r.body));
    c.strip_prefix("vigil_session=")
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

/// Signs in through the form.
pub async fn login(addr: SocketAddr, email: &str, pw: &str) -> Reply {
    post(
        addr,
        "/login",
        None,
        &form(&[("email", email), ("password", pw)]),
    )
    .await
}
