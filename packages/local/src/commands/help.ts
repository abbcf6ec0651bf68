/** Help texts of the commands the companion package brings to the `genai-finops` CLI: demo and local invoke. */

export const DEMO_HELP = `Usage: genai-finops demo [--requests N] [--seed S] [--json] [--html FILE]
       genai-finops demo chat [--port N] [--tenant T] [--user U]

Starts the Bedrock simulator, DynamoDB Local and a local S3 (the companion package genai-finops-local) and
replays a realistic multi-tenant customer-support workload (a ~4,250-token system prompt, 3 knowledge-base
chunks, conversation history, a 70/25/5 simple/medium/complex mix, ~30% exact repeats) through the real
bundled API handler, once per run, each from empty caches:

  naive            one Opus model for everything, no response cache, no prompt caching, output cap 4096
  + one lever      routing (Haiku/Sonnet/Opus), prompt caching, response cache, or output cap 1024, alone
  optimized        the library's defaults: every lever on

and prints requests, model calls, tokens, cost and saving per run, and the optimized/naive cost ratio. Each run's
function has the configuration the constructs synthesize: the demo builds a stack of them (one ApiWorkflow per run,
a UsageLedger, a CircuitBreaker) in process and takes each function's environment from its template.
Then the guardrails scenario (a table after the lever table; \`guardrails\` in --json):

  quota            a runaway tenant sends 200 requests at once against its daily quota in the DynamoDB
                   usage ledger (tokens and USD): admitted, refused with 429, admitted tokens/USD vs limits
  breaker          CloudWatch alarm notifications (SNS) to the breaker bundle trip one feature, then the
                   application (*): a paused feature answers 503, a downgraded one is capped at Haiku,
                   a critical one keeps answering

Options:
  --requests N     Requests in the workload (1 to 20000). Default 300.
  --seed S         Workload seed; the same seed gives the same workload. Default 42.
  --json           Print the report as JSON on stdout (progress still goes to stderr).
  --html FILE      Also write FILE: one self-contained page (no network, Chart.js inlined) with the CloudWatch
                   dashboard's widgets per scenario, computed from the EMF records the handler wrote: tokens
                   by kind, cost per feature and model, cache hit rates, route mix by tier, latency p50/p99.
  -h, --help       Show this help.

demo chat: serves a chat page on http://127.0.0.1:<port>/ until Ctrl-C. Each message runs the streaming API
function of an ApiWorkflow with responseStreaming (Lambda's response streaming emulated: the awslambda global,
the HTTP prelude API Gateway reads) against the Bedrock simulator and DynamoDB Local; the answer streams as
server-sent events, then the page shows its cost, the settled cost and the tenant's remaining daily budget
(a UsageLedger quota of 100,000 tokens and $0.50). The caller is authenticated as an authorizer would give it.
  --port N         Port to listen on (0 to 65535). Default 0: a free port, printed.
  --tenant T       The authenticated tenant. Default acme-corp.
  --user U         The authenticated user. Default agent-7.
`;

export const LOCAL_HELP = `Usage: genai-finops local invoke --workflow <api|document|scheduled|breaker> --event FILE [options]
       genai-finops local invoke <FunctionLogicalId> --template cdk.out/<Stack>.template.json --event FILE [--object FILE]

Subcommands:
  invoke           Run a bundled workflow handler, or a function of a synthesized template, once on an event
                   (see 'genai-finops local invoke --help').
`;

export const LOCAL_INVOKE_HELP = `Usage: genai-finops local invoke --workflow <api|document|scheduled|breaker> --event FILE [--config FILE] [--object FILE]
       genai-finops local invoke <FunctionLogicalId> --template cdk.out/<Stack>.template.json --event FILE [--object FILE]

Runs the workflow's bundled handler (assets/handlers/<workflow>/index.js of genai-finops-constructs, the code
'cdk deploy' uploads; the emulators come in the companion package genai-finops-local) once on the event,
like 'sam local invoke': with the environment the workflow construct gives the function (the library's workflow,
or its CircuitBreaker, with default props is synthesized in process for it; tables and buckets are named by their
logical ids), its AWS clients pointed at a Bedrock simulator, DynamoDB Local and a local S3 started for the
invocation and stopped afterwards.

The handler's result is printed as JSON on stdout, and only it. The function's logs and its EMF metric lines go
to stderr. If the handler throws, stdout gets {"errorType", "errorMessage"} and the exit code is 1.

What is set up for each workflow:
  api        the response-cache table.
  document   the results table; the event's bucket (versioned when the event carries a version id) with an
             object at the event's key: a sample support ticket, or the file given with --object. The event's
             version id and size are replaced by those of the local upload.
  scheduled  the input and results buckets, with three sample conversation records under the prefix of the day
             the event's time selects (records/YYYY-MM-DD/).
  breaker    the circuit breaker's state table (only DynamoDB Local is started). The default configuration maps
             budget 'genai-monthly-total' to every feature and alarm 'genai-support-chat-spend' to support-chat;
             prints the decision: {"tripped": [...], "reset": [...], "unchanged": [...], "ignored"?: "..."}.

Options:
  --workflow W     api, document, scheduled or breaker. Required.
  --event FILE     The event, as JSON. Required. Samples: packages/local/events/*.json in a clone,
                   node_modules/genai-finops-local/events/*.json in an install.
  --config FILE    A pipeline configuration (GENAI_PIPELINE_CONFIG as the construct writes it) instead of the
                   construct's defaults: {"tiers": {"simple": {"invokeId": "...", "modelId": "..."}}, ...}.
                   For breaker: GENAI_BREAKER_CONFIG, {"tableName", "application", "budgets", "alarms"}.
  --object FILE    document only: upload this file instead of the sample ticket.
  -h, --help       Show this help.

With --template (like 'sam local invoke -t'): runs the function of a synthesized template ('npx cdk synth' writes
cdk.out/<Stack>.template.json), named by its logical id or its construct path (e.g. Chat/Handler), with the code
the template deploys (the asset folder beside the template) and the environment the template gives it: a Ref is
the resource's physical name where the template sets one (TableName, BucketName, ...), else its logical id;
Fn::GetAtt of an ARN is an ARN of the local account 111122223333 in us-east-1. The tables (with the template's key
schema) and buckets the environment names are created in DynamoDB Local and the local S3. --object FILE uploads
FILE as the object a document event announces. --workflow and --config do not apply.
`;

