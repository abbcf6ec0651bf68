/** Help texts of the `genai-finops` CLI. */

export const MAIN_HELP = `genai-finops: run the GenAI FinOps workflows locally and see what each cost lever saves.

Usage:
  genai-finops <command> [options]

Commands:
  demo                 Replay a customer-support workload through the bundled API handler, naive vs
                       optimized and one lever at a time, and print what each costs.
  estimate FILE        Estimate a workload's monthly Bedrock cost: baseline vs optimized, the saving of each
                       lever, Bedrock vs SageMaker, and what the library itself costs to run.
  local invoke         Run one bundled workflow handler on an event file against local services
                       (like 'sam local invoke'); the result goes to stdout, logs to stderr.
  help [command]       Show help for a command.

Options:
  -h, --help           Show help.
  --version            Print the package version.

Everything runs on 127.0.0.1: a Bedrock simulator, DynamoDB Local (needs Java 17) and an in-memory S3.
No AWS account or credentials are used.

Examples:
  npx genai-finops demo
  npx genai-finops estimate examples/workloads/customer-support.json
  npx genai-finops local invoke --workflow api --event test/lambda/handlers/events/api-gateway-proxy.json
`;

export const DEMO_HELP = `Usage: genai-finops demo [--requests N] [--seed S] [--json]

Builds the handler bundles if missing, starts the Bedrock simulator, DynamoDB Local and a local S3, and
replays a realistic multi-tenant customer-support workload (a 3,500-token system prompt, 3 knowledge-base
chunks, conversation history, a 70/25/5 simple/medium/complex mix, ~30% exact repeats) through the real
bundled API handler, once per run, each from empty caches:

  naive            one Opus model for everything, no response cache, no prompt caching, output cap 4096
  + one lever      routing (Haiku/Sonnet/Opus), prompt caching, response cache, or output cap 1024, alone
  optimized        the library's defaults: every lever on

and prints requests, model calls, tokens, cost and saving per run, and the optimized/naive cost ratio.

Options:
  --requests N     Requests in the workload (1 to 20000). Default 300.
  --seed S         Workload seed; the same seed gives the same workload. Default 42.
  --json           Print the report as JSON on stdout (progress still goes to stderr).
  -h, --help       Show this help.
`;

export const ESTIMATE_HELP = `Usage: genai-finops estimate <workload.json> [--prices FILE] [--json]

Estimates what a workload costs on Amazon Bedrock, from a workload file (format: docs/readme/estimator.md;
examples in examples/workloads/): cost per request and per month, baseline vs optimized, the saving of each
lever alone (routing, prompt caching, response caching, output cap, batch, service tier) and together, the
input/output split, Bedrock vs a SageMaker endpoint with the break-even volume, and what the library's own
resources cost (DynamoDB, Lambda, CloudWatch, WAF, Budgets, CUR and Athena).

The baseline: all traffic on the dearest configured model, no prompt or response caching, the uncapped output,
on demand, standard tier.

Options:
  --prices FILE    Price with this price file instead of the shipped catalog (e.g. the article's prices:
                   test/fixtures/article-prices.json). The workload's own "prices" apply on top.
  --json           Print the estimate as JSON.
  -h, --help       Show this help.

Exit codes: 0 estimated, 1 the workload or price file is invalid (the message names the field and the fix),
2 usage error.
`;

export const LOCAL_HELP = `Usage: genai-finops local invoke --workflow <api|document|scheduled> --event FILE [options]

Subcommands:
  invoke           Run a bundled workflow handler once on an event (see 'genai-finops local invoke --help').
`;

export const LOCAL_INVOKE_HELP = `Usage: genai-finops local invoke --workflow <api|document|scheduled> --event FILE [--config FILE] [--object FILE]

Runs the workflow's bundled handler (assets/handlers/<workflow>/index.js, built if missing) once on the event,
like 'sam local invoke': with the environment the workflow construct gives the function, its AWS clients pointed
at a Bedrock simulator, DynamoDB Local and a local S3 started for the invocation and stopped afterwards.

The handler's result is printed as JSON on stdout, and only it. The function's logs and its EMF metric lines go
to stderr. If the handler throws, stdout gets {"errorType", "errorMessage"} and the exit code is 1.

What is set up for each workflow:
  api        the response-cache table.
  document   the results table; the event's bucket (versioned when the event carries a version id) with an
             object at the event's key: a sample support ticket, or the file given with --object. The event's
             version id and size are replaced by those of the local upload.
  scheduled  the input and results buckets, with three sample conversation records under the prefix of the day
             the event's time selects (records/YYYY-MM-DD/).

Options:
  --workflow W     api, document or scheduled. Required.
  --event FILE     The event, as JSON (e.g. test/lambda/handlers/events/*.json). Required.
  --config FILE    A pipeline configuration (GENAI_PIPELINE_CONFIG as the construct writes it) instead of the
                   construct's defaults: {"tiers": {"simple": {"invokeId": "...", "modelId": "..."}}, ...}.
  --object FILE    document only: upload this file instead of the sample ticket.
  -h, --help       Show this help.
`;
