/** Help texts of the `genai-finops` CLI's own commands (demo and local invoke bring theirs: packages/local/src/commands/help.ts). */

export const MAIN_HELP = `genai-finops: run the GenAI FinOps workflows locally and see what each cost lever saves.

Usage:
  genai-finops <command> [options]

Commands:
  demo                 Replay a customer-support workload through the bundled API handler, naive vs
                       optimized and one lever at a time, and print what each costs.
  estimate FILE        Estimate a workload's monthly Bedrock cost: baseline vs optimized, the saving of each
                       lever, Bedrock vs SageMaker, and what the library itself costs to run.
  local invoke         Run one bundled workflow handler, or a function of your synthesized template
                       (--template), on an event file against local services (like 'sam local invoke');
                       the result goes to stdout, logs to stderr.
  assess               Read a synthesized CDK app (cdk.out or a template) and report its FinOps maturity
                       level, each control found or missing, and the rule pack's findings.
  breaker reset        Close a circuit breaker by hand (audited): --table T --feature F [--application A].
  reconcile            Compare the meter (the EMF records) with the bill (a CUR 2.0 export) for a day, per
                       application and feature, with the Bedrock spend no metered feature accounts for (DuckDB,
                       offline).
  statement            Each tenant's chargeback statement for a month from the meter's EMF records (DuckDB,
                       offline): requests, tokens by kind, USD by feature and model; --focus writes FOCUS 1.2.
  init [dir]           Scaffold a CDK app wired with the library (package.json, cdk.json, tsconfig.json,
                       bin/app.ts with a tagged ApiWorkflow, the tag policy and a budget), as cdk init does.
  help [command]       Show help for a command.

Options:
  -h, --help           Show help.
  --version            Print the package version.

Exit codes: 0 done; 1 the command failed, or a package it needs is not installed (the message names the install
command); 2 a usage error (an unknown command or option, a missing or bad value); 130 / 143 / 129 interrupted by
SIGINT (Ctrl-C) / SIGTERM / SIGHUP, after the local services were stopped (a second Ctrl-C exits at once).
estimate and assess add their own (see their help).

demo and local invoke run on 127.0.0.1: a Bedrock simulator, DynamoDB Local (needs Java 17) and an in-memory
S3; no AWS account or credentials are used. In an app that installed genai-finops-constructs, they come in the
companion package: npm install --save-dev genai-finops-local (the same version). It is not on the npm registry
yet: in a clone of the repository run npm ci && npm pack -w packages/local, and install the .tgz it writes.

Examples:
  npx genai-finops demo
  npx genai-finops estimate node_modules/genai-finops-constructs/examples/workloads/customer-support.json
  npx genai-finops local invoke --workflow api --event node_modules/genai-finops-local/events/api-gateway-proxy.json
  (in a clone of the repository: examples/workloads/... and packages/local/events/...)
`;

export const ESTIMATE_HELP = `Usage: genai-finops estimate <workload.json> [--prices FILE] [--json] [--html FILE] [--poc FILE]

Estimates what a workload costs on Amazon Bedrock, from a workload file (format: the README, "Estimate a workload";
examples in examples/workloads/): cost per request and per month, baseline vs optimized, the saving of each
lever alone (routing, prompt caching, response caching, output cap, batch, service tier) and together, the
input/output split, Bedrock vs a SageMaker endpoint with the break-even volume, and what the library's own
resources cost (DynamoDB, Lambda, CloudWatch, WAF, Budgets, CUR and Athena). With a "budget" (and a
"nearLimit" policy): the month under it, by the budget alone (429 at the limit) and with the policy (degraded
from its share), the day each share is spent, requests degraded and refused.

The baseline: all traffic on the dearest configured model, no prompt or response caching, the uncapped output,
on demand, standard tier.

Options:
  --prices FILE    Price with this price file instead of the shipped catalog (e.g. the article's prices:
                   test/fixtures/article-prices.json). The workload's own "prices" apply on top.
  --json           Print the estimate as JSON.
  --html FILE      Also write the estimate as one self-contained page (no network: Chart.js inlined, a CSP
                   that allows no request): a waterfall from the baseline to the optimized cost, one step per
                   lever added to the ones before it (they add up to the whole saving), and the projection below.
  --poc FILE       The POC's workload this one grows from (e.g. examples/workloads/article-spiral-poc.json for
                   article-spiral-production.json): adds the POC-to-production projection (the month's cost,
                   how much of the growth is volume and how much the cost of each request).
  -h, --help       Show this help.

Exit codes: 0 estimated, 1 the workload or price file is invalid (the message names the field and the fix),
2 usage error.
`;

export const ASSESS_HELP = `Usage: genai-finops assess <cdk.out | template.json> [--json] [--min-level N]

Reads the templates of a synthesized CDK app (any app, not only one built with this library) and reports the
FinOps maturity level of the GenAI framework:

  1 Crawl   cost visibility and budgets: tagged spenders, application inference profiles, a budget
  2 Walk    + token and cost metrics, a CUR 2.0 export
  3 Run     + tracing, cost analytics (Athena saved queries), a token and cost dashboard
  4 Fly     + alarms on the pipeline's own cost, usage limits, a Budgets action, routing and caching

A level counts when every control of it and of the levels below is present. Each missing control names the
construct of this library that adds it. The FinOps rule pack's findings are listed too.

Options:
  --json          Print the assessment as JSON.
  --min-level N   Exit with 1 when the level is below N (0 to 4): gate CI on it.
  -h, --help      Show this help.

Exit codes: 0 at or above --min-level, 1 below it, 2 a usage error (a missing or unreadable path).

Example:
  npx cdk synth --quiet && npx genai-finops assess cdk.out --min-level 2
`;

export const BREAKER_HELP = `Usage: genai-finops breaker reset --table T --feature F [options]

Subcommands:
  reset            Close a circuit breaker by hand (see 'genai-finops breaker reset --help').
`;

export const BREAKER_RESET_HELP = `Usage: genai-finops breaker reset --table T --feature F [--application A] [--reason R] [--endpoint URL] [--region R]

Closes the circuit breaker of feature F (or the global one, with --feature '*') in the CircuitBreaker's state
table T, whatever opened it, and writes an audit item naming you (cli:<user>) and the reason. Notifications sent
before the reset do not re-open it; a new budget threshold or alarm after it does. The same as invoking the
breaker function with {"reset": {"feature": "F"}}.

Uses the AWS SDK's default credentials and Region (AWS_PROFILE, AWS_REGION, ...; the SDK's DynamoDB client comes
bundled with the command); it needs dynamodb:UpdateItem and dynamodb:PutItem on the table (and dynamodb:Scan
without --application). Prints {"application", "feature", "reset": [...], "unchanged": [...]} as JSON.

Options:
  --table T        The state table (CircuitBreaker's table.tableName). Required.
  --feature F      The feature (its Feature tag), or '*' for the global breaker. Required.
  --application A  The Application tag. Default: the one application of the table with a state for F.
  --reason R       Why, for the audit trail. Default: "manual reset by cli:<user>".
  --endpoint URL   A DynamoDB endpoint (DynamoDB Local, say) instead of AWS's.
  --region R       The Region. Default: the SDK's (AWS_REGION, the profile).
  -h, --help       Show this help.
`;

export const STATEMENT_HELP = `Usage: genai-finops statement --meter <files or folder> --month YYYY-MM [--tenant T] [--json] [--focus FILE]

Each tenant's chargeback statement for a month, from the meter: the EMF records the pipeline logs (JSON lines, plain
or gzip, or a CloudWatch Logs export; a folder is read with its .jsonl, .ndjson, .json, .gz, .log and .txt files). Per tenant, feature and model: requests, tokens
by kind (input, output, cache read, cache write), USD, and what the response cache saved. Offline, with DuckDB; the
same SQL as the TenantStatementView Athena view over the meter archive.

USD is the meter's: each call priced from the tokens Bedrock reported, at the catalog's list price or the
workflow's modelPrices. It is a showback, not the invoice (no discounts, credits or tax); 'genai-finops reconcile'
measures how far it is from the bill.

Options:
  --meter PATHS    EMF JSON-lines files or folders, comma-separated.
  --month YYYY-MM  The calendar month (UTC) of the records' own time.
  --tenant T       One tenant's statement only (no other tenant's rows are read into the output).
  --json           The statement as JSON.
  --focus FILE     Also write the statement in the FinOps FOCUS 1.2 shape: CSV, or Parquet when FILE ends in
                   .parquet. Token quantities are in x_ columns (x_InputTokens, x_OutputTokens,
                   x_CacheReadTokens, x_CacheWriteTokens, x_TenantId, x_Feature, ...).
  -h, --help       Show this help.

Exit codes: 0 done; 1 failed (DuckDB not installed: the message names the install command); 2 a usage error,
or a file that is not JSON lines of the pipeline's EMF records (the message names the file).
`;

export const RECONCILE_HELP = `Usage: genai-finops reconcile --cur <files or folder> --meter <files or folder> [--day YYYY-MM-DD] [--threshold P] [--json]

The meter ↔ bill reconciliation of the MeterReconciliation construct, offline, with DuckDB and the same SQL: for one
UTC day, what the pipeline recorded per application and feature (the sum of its EMF records' CostUSD) against what
CUR 2.0 billed for the same day to the same application and feature (the unblended cost of Bedrock usage line items,
attributed by the Application and Feature cost allocation tags of the inference profile, or of the calling IAM
principal), the drift of each ((metered - billed) / billed), and the Bedrock spend no metered feature accounts for
(calls that bypassed the pipeline) as its own line.

Options:
  --cur PATHS      The CUR 2.0 export as AWS Data Exports writes it: Parquet, or gzip CSV; files or folders,
                   comma-separated (a folder is read with every .parquet, .csv.gz and .csv under it).
  --meter PATHS    The EMF records: JSON lines as the functions write them (the MeterArchive bucket's objects, the
                   demo), or a CloudWatch Logs export (each line may start with the event's timestamp); plain or
                   gzip; files or folders, comma-separated. Lines that are not EMF records are skipped.
  --day DAY        The UTC day, YYYY-MM-DD. Default: the last day the meter's records cover.
  --threshold P    Drift (and unmetered share of the bill), in percent, past which a line is flagged. Default 2.
  --json           The report as JSON.
  -h, --help       Show this help.

CUR 2.0 keeps changing a day's figures for a day or two after it: reconcile a day two days later or more.

Exit codes: 0 done (flagged lines included: see "overThreshold" in --json); 1 failed (DuckDB not installed: the
message names the install command); 2 a usage error, or a file of the wrong shape (the message names the file and
the missing column).
`;

export const INIT_HELP = `Usage: genai-finops init [dir] [--from FILE.tgz | --from CLONE] [--install]

Scaffolds a CDK app wired with genai-finops-constructs in dir (default: the current folder), which must be new
or empty, as cdk init does: package.json (aws-cdk-lib, constructs, genai-finops-constructs; aws-cdk, tsx,
typescript and @types/node as devDependencies), cdk.json (app: npx tsx bin/app.ts), tsconfig.json, bin/app.ts
(an ApiWorkflow, the GenAI tags, GenAiTagPolicy.enforce and a monthly development budget), README.md and
.gitignore. The app's name (its package name and Application tag) is the folder's name.

Options:
  --from FILE.tgz   Depend on a packed tarball (npm pack in a clone writes genai-finops-constructs-<version>.tgz)
                    instead of the registry: the package is not on the npm registry yet. A clone's folder works
                    too, once npm pack has written the tarball in it.
  --install         Run npm install in dir afterwards. Without it, nothing is downloaded: the next steps are printed.

Exit codes: 0 created; 1 npm install failed (the files stay); 2 a usage error (a non-empty dir, a missing --from).

Examples:
  npx genai-finops init my-genai-app --from ../genai-finops-constructs/genai-finops-constructs-0.1.0.tgz
  npx genai-finops init my-genai-app --install
`;
