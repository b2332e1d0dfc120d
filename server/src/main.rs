//! `ducatpay`: the service (`serve`) and the support desk's tasks (`admin`).

use clap::{Parser, Subcommand};
use ducatpay::admin::AdminCommand;
use ducatpay::config::ServeArgs;
use ducatpay::startup::Application;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "ducatpay",
    version,
    about = "DucatPay: open-source internet acquiring (Payments API, checkout, cabinet)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: REST API, pages, sandbox bank.
    Serve(ServeArgs),
    /// Support tasks: organisations, shops, API keys, demo data.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("DUCATPAY_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Admin { command } => ducatpay::admin::run(command).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let seed = !args.no_demo;
    let app = Application::build(args).await?;
    let base = app.public_url.clone();
    println!("DucatPay is running");
    println!("  start page      {base}/");
    println!("  Payments API    {base}/v2/processing/…");
    println!("  health          {base}/health");
    if seed {
        match ducatpay::admin::seed_demo_if_empty(&app.engine).await? {
            Some(demo) => {
                println!("  demo data (new database):");
                println!("    partyID       {}", demo["partyID"].as_str().unwrap_or_default());
                println!("    shopID        {}", demo["shopID"].as_str().unwrap_or_default());
                println!("    apiKey        {}", demo["apiKey"].as_str().unwrap_or_default());
                println!(
                    "    cabinet       {} / {}",
                    demo["cabinet"]["email"].as_str().unwrap_or_default(),
                    demo["cabinet"]["password"].as_str().unwrap_or_default()
                );
            }
            None => println!("  demo data exists; `ducatpay admin demo --json` issues a fresh demo API key"),
        }
    }
    app.run().await?;
    Ok(())
}
