//! A small W3C WebDriver client (over ureq) for driving the real Kept app
//! through tauri-driver and WebKitWebDriver.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One WebDriver session.
pub struct Session {
    base: String,
    id: String,
    agent: ureq::Agent,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let resp = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, b) => agent.post(url).send_json(b.unwrap_or_else(|| json!({}))),
    };
    let mut resp = resp.map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let v: Value = resp.body_mut().read_json().map_err(|e| format!("{method} {url}: bad JSON: {e}"))?;
    if status >= 300 {
        return Err(format!("{method} {url}: {status} {}", v["value"]["message"]));
    }
    Ok(v["value"].clone())
}

impl Session {
    /// Starts the app at `application` through the tauri-driver on `port`.
    pub fn start(port: u16, application: &str) -> Session {
        let base = format!("http://127.0.0.1:{port}");
        let agent = agent();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": application}}}});
        let v = call(&agent, "POST", &format!("{base}/session"), Some(caps)).expect("new WebDriver session");
        let id = v["sessionId"].as_str().expect("session id").to_string();
        Session { base, id, agent }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.id)
    }

    /// Resizes the window.
    pub fn resize(&self, width: u32, height: u32) {
        let _ = call(&self.agent, "POST", &self.url("/window/rect"), Some(json!({"width": width, "height": height})));
    }

    /// The element matching `css`, if any.
    pub fn find(&self, css: &str) -> Option<String> {
        let v = call(&self.agent, "POST", &self.url("/element"), Some(json!({"using": "css selector", "value": css})))
            .ok()?;
        v[ELEMENT].as_str().map(str::to_string)
    }

    /// Waits (bounded) for an element matching `css`.
    pub fn wait(&self, css: &str) -> String {
        let t0 = Instant::now();
        loop {
            if let Some(e) = self.find(css) {
                return e;
            }
            if t0.elapsed() > Duration::from_secs(30) {
                panic!("no element {css} after 30 s; page text: {}", self.page_text());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits (bounded) until the text of `css` satisfies `ok`; returns it.
    pub fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let text = self.find(css).map(|e| self.text(&e)).unwrap_or_default();
            if ok(&text) {
                return text;
            }
            if t0.elapsed() > Duration::from_secs(45) {
                panic!("{css} never got the expected text; last: {text:?}; page: {}", self.page_text());
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Clicks the element matching `css` (waiting for it).
    pub fn click(&self, css: &str) {
        let e = self.wait(css);
        // Into the middle of the viewport first: on a phone-sized window a
        // fixed bottom bar can cover an element the driver scrolled to the edge.
        let _ = call(
            &self.agent,
            "POST",
            &self.url("/execute/sync"),
            Some(json!({"script": "arguments[0].scrollIntoView({block: 'center'})", "args": [{ELEMENT: e}]})),
        );
        let r = call(&self.agent, "POST", &self.url(&format!("/element/{e}/click")), Some(json!({})));
        if let Err(err) = r {
            panic!("click {css}: {err}; disabled: {:?}", self.attr(css, "disabled"));
        }
    }

    /// Types into the element matching `css` (after clearing it).
    pub fn type_in(&self, css: &str, text: &str) {
        let e = self.wait(css);
        let _ = call(&self.agent, "POST", &self.url(&format!("/element/{e}/clear")), Some(json!({})));
        call(&self.agent, "POST", &self.url(&format!("/element/{e}/value")), Some(json!({"text": text})))
            .expect("type");
    }

    /// Types into the element matching `css` where its caret is, keeping its text (real key
    /// events: the page sees typing, not a pasted value).
    pub fn append(&self, css: &str, text: &str) {
        let e = self.wait(css);
        let _ = call(
            &self.agent,
            "POST",
            &self.url("/execute/sync"),
            Some(
                json!({"script": "const t = arguments[0]; t.focus(); t.setSelectionRange(t.value.length, t.value.length)", "args": [{ELEMENT: e}]}),
            ),
        );
        call(&self.agent, "POST", &self.url(&format!("/element/{e}/value")), Some(json!({"text": text})))
            .expect("type");
    }

    /// The current value of the form field matching `css`.
    pub fn value(&self, css: &str) -> String {
        let script = format!("return document.querySelector('{css}')?.value ?? ''");
        self.exec(&script).as_str().unwrap_or_default().to_string()
    }

    /// Visible text of an element.
    pub fn text(&self, element: &str) -> String {
        call(&self.agent, "GET", &self.url(&format!("/element/{element}/text")), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// An attribute of the element matching `css`.
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css)?;
        call(&self.agent, "GET", &self.url(&format!("/element/{e}/attribute/{name}")), None)
            .ok()?
            .as_str()
            .map(str::to_string)
    }

    /// Runs JavaScript in the page.
    pub fn exec(&self, script: &str) -> Value {
        call(&self.agent, "POST", &self.url("/execute/sync"), Some(json!({"script": script, "args": []})))
            .unwrap_or(Value::Null)
    }

    /// The page's whole text (for failure messages).
    pub fn page_text(&self) -> String {
        self.exec("return document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(2000)
            .collect()
    }

    /// Saves a PNG screenshot.
    pub fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        if let Ok(v) = call(&self.agent, "GET", &self.url("/screenshot"), None) {
            if let Some(b) = v.as_str().and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok()) {
                let _ = std::fs::write(path, b);
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = call(&self.agent, "DELETE", &self.url(""), None);
    }
}
