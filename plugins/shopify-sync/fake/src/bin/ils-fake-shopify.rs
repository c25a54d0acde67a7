//! `ils-fake-shopify`: the fake shop as a process on loopback, for tests that are not Rust (the
//! console's browser tests). It seeds one location and the products asked for, then prints one
//! line of JSON — the shop's domain and address, its certificate (PEM), access token and webhook
//! secret, the `ILS_OUTBOUND_CONNECT_TO` entry, and its controls' URL — and serves until killed.
//!
//! ```sh
//! ils-fake-shopify --port 9443 --product RB-2140-50=7 --product CL-DAILY-30=30 --out shop.json
//! ```

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use ils_fake_shopify::remote::{self, Seeded};
use ils_fake_shopify::{FakeConfig, FakeShopify};

#[derive(Parser)]
#[command(name = "ils-fake-shopify", about = "A fake Shopify shop on loopback, for tests")]
struct Args {
    /// The shop's HTTPS port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The controls' HTTP port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 0)]
    control_port: u16,
    /// The shop's domain; the certificate is made for it.
    #[arg(long, default_value = "lenses.myshopify.com")]
    domain: String,
    /// The name of the shop's one location.
    #[arg(long, default_value = "Shop front")]
    location: String,
    /// A product to seed: `SKU=AVAILABLE` (one tracked variant, stocked at the location).
    #[arg(long = "product", value_parser = parse_product)]
    products: Vec<(String, i64)>,
    /// Write the JSON there instead of standard output.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

fn parse_product(text: &str) -> Result<(String, i64), String> {
    let (sku, available) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("{text:?}: expected SKU=AVAILABLE, e.g. RB-2140-50=7"))?;
    let sku = sku.trim();
    if sku.is_empty() {
        return Err(format!("{text:?}: the SKU is empty"));
    }
    let available =
        available.trim().parse().map_err(|_| format!("{text:?}: AVAILABLE is not a whole number"))?;
    Ok((sku.to_owned(), available))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let config = FakeConfig { domain: args.domain.clone(), port: args.port, ..FakeConfig::default() };
    let fake = FakeShopify::start(config).await.map_err(|e| e.to_string())?;
    let seeded = Seeded::seed(fake, &args.location, &args.products).map_err(|e| e.to_string())?;
    let control = tokio::net::TcpListener::bind(("127.0.0.1", args.control_port))
        .await
        .map_err(|e| format!("could not listen for the controls on 127.0.0.1:{}: {e}", args.control_port))?;
    let control_url = format!("http://{}", control.local_addr().map_err(|e| e.to_string())?);
    let info = seeded.info(&control_url);
    let line = serde_json::to_string(&info).map_err(|e| e.to_string())?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, format!("{line}\n")).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => {
            // The one line a harness reads; the server then runs on.
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}")
                .and_then(|()| out.flush())
                .map_err(|e| format!("standard output: {e}"))?;
        }
    }
    axum::serve(control, remote::router(seeded, info)).await.map_err(|e| e.to_string())
}
