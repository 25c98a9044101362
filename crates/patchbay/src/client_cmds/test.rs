//! `patchbay integrations test NAME|ID` and `--all`: run connection tests on
//! the organization's workers and show what happened.
use super::{block_on, call, find};
use crate::commands::{OutputFormat, TestArgs};
use crate::failure::{Exit, failure};
use crate::output::{emit, print_json};
use patchbay_api_types::ConnectionTestResponse;
use patchbay_client::{Client, ListQuery, TestStarted};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How long `--all` waits for the last result after queuing every test.
const ALL_DEADLINE: Duration = Duration::from_secs(330);
const POLL: Duration = Duration::from_millis(200);

fn is_final(status: &str) -> bool {
    matches!(status, "passed" | "failed" | "timeout" | "error")
}

pub fn run(args: TestArgs) -> anyhow::Result<()> {
    match &args.integration {
        Some(integration) => one(&args, integration),
        None => all(&args),
    }
}

fn one(args: &TestArgs, name_or_id: &str) -> anyhow::Result<()> {
    let client = args.common.client.connect()?;
    let started = block_on(async {
        let integration = find(&client, name_or_id).await?;
        call(client.test_integration(&integration.id, true)).await
    })??;
    let result = match started {
        TestStarted::Finished(result) => result,
        TestStarted::Queued(queued) => {
            if args.common.format() == OutputFormat::Json {
                print_json(&queued)?;
            }
            let why = queued.message.unwrap_or_else(|| "the test is queued".to_owned());
            return Err(failure(Exit::TestPending, format!("no result yet for {name_or_id}: {why}")));
        }
    };
    if args.common.format() == OutputFormat::Json {
        print_json(&result)?;
    } else {
        let duration = result.duration_ms.map(|ms| format!(" in {ms} ms")).unwrap_or_default();
        let code = result.exit_code.map(|c| format!(", exit code {c}")).unwrap_or_default();
        println!(
            "{}: {}{duration}{code} (revision {})",
            result.integration_name, result.status, result.revision
        );
        if let Some(output) = result.output.as_deref().filter(|o| !o.is_empty()) {
            print!("{output}");
            if !output.ends_with('\n') {
                println!();
            }
        }
    }
    match result.status.as_str() {
        "passed" => Ok(()),
        _ => Err(failure(
            Exit::TestFailed,
            format!("the connection test of {name_or_id} {}", verdict(&result)),
        )),
    }
}

/// How a test that did not pass ended, as the end of a sentence.
fn verdict(result: &ConnectionTestResponse) -> String {
    match result.status.as_str() {
        "failed" => match result.exit_code {
            Some(code) => format!("failed with exit code {code}"),
            None => "failed".to_owned(),
        },
        "timeout" => "timed out".to_owned(),
        // The reason is the output (e.g. a refused variable); its first line
        // says it on the line the user reads last.
        "error" => match result.output.as_deref().and_then(|o| o.lines().find(|l| !l.trim().is_empty())) {
            Some(reason) => format!("ended in error: {reason}"),
            None => "ended in error".to_owned(),
        },
        other => format!("ended as {other:?}"),
    }
}

/// A one-line progress bar on stderr, only for a person at a terminal.
struct Progress {
    total: usize,
    shown: bool,
}

impl Progress {
    fn show(&mut self, done: usize, latest: &str) {
        if !std::io::stderr().is_terminal() || self.total == 0 {
            return;
        }
        let width = 30;
        let filled = done * width / self.total;
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(width - filled));
        eprint!("\r[{bar}] {done}/{} {latest:<40.40}", self.total);
        let _ = std::io::stderr().flush();
        self.shown = true;
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

async fn run_all(client: &Client, progress: &mut Progress) -> anyhow::Result<Vec<ConnectionTestResponse>> {
    let integrations =
        call(client.list_integrations(&ListQuery { status: Some("active".into()), ..ListQuery::default() }))
            .await?;
    let testable: Vec<_> = integrations
        .into_iter()
        .filter(|i| i.config.connection_test.as_ref().is_some_and(|t| t.enabled))
        .collect();
    progress.total = testable.len();
    let mut jobs = Vec::with_capacity(testable.len());
    for integration in &testable {
        match call(client.test_integration(&integration.id, false)).await? {
            TestStarted::Finished(result) | TestStarted::Queued(result) => jobs.push(result),
        }
    }
    let deadline = Instant::now() + ALL_DEADLINE;
    loop {
        let done = jobs.iter().filter(|j| is_final(&j.status)).count();
        let latest = jobs.iter().rev().find(|j| is_final(&j.status)).map(|j| j.integration_name.as_str());
        progress.show(done, latest.unwrap_or("waiting for workers"));
        if done == jobs.len() || Instant::now() >= deadline {
            return Ok(jobs);
        }
        tokio::time::sleep(POLL).await;
        for job in jobs.iter_mut().filter(|j| !is_final(&j.status)) {
            *job = call(client.get_connection_test(&job.job_id)).await?;
        }
    }
}

fn all(args: &TestArgs) -> anyhow::Result<()> {
    let client = args.common.client.connect()?;
    let mut progress = Progress { total: 0, shown: false };
    let results = block_on(run_all(&client, &mut progress))??;
    progress.finish();
    emit(&args.common, &results, &["NAME", "STATUS", "EXIT", "DURATION", "REVISION"], |results| {
        results
            .iter()
            .map(|r| {
                vec![
                    r.integration_name.clone(),
                    r.status.clone(),
                    r.exit_code.map(|c| c.to_string()).unwrap_or_default(),
                    r.duration_ms.map(|ms| format!("{ms} ms")).unwrap_or_default(),
                    r.revision.to_string(),
                ]
            })
            .collect()
    })?;
    let passed = results.iter().filter(|r| r.status == "passed").count();
    let pending = results.iter().filter(|r| !is_final(&r.status)).count();
    eprintln!("{passed} of {} connection tests passed", results.len());
    if pending > 0 {
        return Err(failure(
            Exit::TestPending,
            format!("{pending} test(s) got no result: is a worker running?"),
        ));
    }
    if passed < results.len() {
        return Err(failure(Exit::TestFailed, format!("{} test(s) did not pass", results.len() - passed)));
    }
    Ok(())
}
