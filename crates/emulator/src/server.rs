//! An emulator on a port: [`spawn`] serves an [`App`]'s router in the
//! background (tests, embedding); [`Running`] stops it.

use crate::app::App;
use crate::net::Background;
use std::net::SocketAddr;

/// A running emulator (tests, embedding).
pub struct Running {
    pub addr: SocketAddr,
    pub app: App,
    serving: Background,
}

impl Running {
    pub fn base_url(&self) -> String {
        self.serving.base_url()
    }

    pub async fn stop(self) {
        self.serving.stop().await;
    }
}

/// Binds `addr` (port 0 picks a free port) and serves in a background task.
pub async fn spawn(app: App, addr: SocketAddr) -> std::io::Result<Running> {
    let serving = Background::start(addr, app.router()).await?;
    Ok(Running {
        addr: serving.addr,
        app,
        serving,
    })
}
