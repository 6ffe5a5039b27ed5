//! `genesys-emulator`: parses the CLI, binds, prints the base URL as the
//! first stdout line (and on stderr the seeded clients and tokens), serves until SIGTERM/SIGINT (or stdin EOF with
//! `--exit-on-stdin-close`).

use clap::Parser;
use genesys_emulator::{serve, App, Options, Replay};
use std::io::Write;
use std::process::ExitCode;
use tokio::net::TcpListener;

#[derive(Parser, Debug)]
#[command(
    name = "genesys-emulator",
    version,
    about = "A local Genesys Cloud Platform API emulator"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Conversations created at start (and after a reset), as by POST /__emulator/seed.
    #[arg(long, default_value_t = 0)]
    seed_conversations: usize,
    /// Requests per minute per token (0 = off).
    #[arg(long, default_value_t = 0)]
    rate_limit: u32,
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Lifetime of minted tokens, in seconds.
    #[arg(long, default_value_t = 86_400)]
    token_ttl: u64,
    /// Don't check scopes of user tokens.
    #[arg(long)]
    no_enforce_scopes: bool,
    /// Share of /api/v2 answers replaced by a random fault (0..1).
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    #[arg(long)]
    rng_seed: Option<u64>,
    /// Exit when stdin reaches EOF (the parent process went away).
    #[arg(long)]
    exit_on_stdin_close: bool,
    /// Serve back the answers of a conformance trace (`--record`) instead of
    /// emulating: each recorded answer once, in order.
    #[arg(long, value_name = "TRACE.json")]
    replay: Option<std::path::PathBuf>,
}

async fn stop_signal(watch_stdin: bool) {
    // A plain thread, not tokio's stdin: a blocked tokio blocking-pool read
    // would hold up runtime shutdown; a detached thread dies with the process.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    if watch_stdin {
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    }
    let stdin_closed = async move {
        if watch_stdin {
            let _ = rx.await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
        _ = stdin_closed => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let options = Options {
        seed_conversations: args.seed_conversations,
        rate_limit: args.rate_limit,
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        token_ttl_sec: args.token_ttl,
        enforce_scopes: !args.no_enforce_scopes,
        fault_rate: args.fault_rate,
        rng_seed: args.rng_seed,
        ..Options::default()
    };
    if let Err(e) = options.validate() {
        eprintln!("genesys-emulator: {e}");
        return ExitCode::from(2);
    }
    let listener = match TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "genesys-emulator: cannot bind {}:{}: {e}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("genesys-emulator: the bound socket has no address: {e}");
            return ExitCode::FAILURE;
        }
    };
    let router = match &args.replay {
        None => App::new(options).router(),
        Some(file) => match std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|text| Replay::load(&text))
        {
            Ok(replay) => replay.router(),
            Err(e) => {
                eprintln!("genesys-emulator: --replay {}: {e}", file.display());
                return ExitCode::from(2);
            }
        },
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "http://{addr}");
        let _ = out.flush();
    }
    eprintln!("genesys-emulator: listening on http://{addr}");
    if args.replay.is_none() {
        for line in genesys_emulator::credentials_summary().lines() {
            eprintln!("genesys-emulator: {line}");
        }
    }
    serve(listener, router, stop_signal(args.exit_on_stdin_close)).await;
    eprintln!("genesys-emulator: stopped");
    ExitCode::SUCCESS
}
