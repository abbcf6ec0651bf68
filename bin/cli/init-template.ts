/**
 * The files `genai-finops init` writes: a CDK app wired with the library, the way `cdk init app --language
 * typescript` lays one out, but run with tsx (no compile step, no ts-node) and with the GenAI tags, the tag policy
 * and a budget in place from the first synth.
 */

/** What the scaffold is made from. */
export interface ScaffoldSettings {
  /** The npm package name of the app, also its Application tag: lower-case letters, digits and hyphens. */
  readonly appName: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** What package.json asks for genai-finops-constructs: a semver range, or `file:` a packed tarball. */
  readonly librarySpec: string;
  /** Version ranges of the app's other packages, taken from the library's own package.json. */
  readonly versions: Readonly<{ awsCdkLib: string; constructs: string; awsCdk: string; tsx: string; typescript: string; typesNode: string }>;
}

/** Relative path → file content. */
export type Scaffold = Readonly<Record<string, string>>;

export function scaffoldFiles(s: ScaffoldSettings): Scaffold {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'package.json': json({
      name: s.appName,
      version: '0.1.0',
      private: true,
      scripts: { synth: 'cdk synth', deploy: 'cdk deploy', diff: 'cdk diff', cdk: 'cdk' },
      dependencies: { 'aws-cdk-lib': s.versions.awsCdkLib, 'constructs': s.versions.constructs, 'genai-finops-constructs': s.librarySpec },
      devDependencies: { '@types/node': s.versions.typesNode, 'aws-cdk': s.versions.awsCdk, 'tsx': s.versions.tsx, 'typescript': s.versions.typescript },
    }),
    // tsx runs bin/app.ts as it is: `cdk synth` needs no build step (`npx tsc` only type-checks).
    'cdk.json': json({ app: 'npx tsx bin/app.ts', watch: { include: ['bin/**/*.ts'] } }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022', module: 'commonjs', moduleResolution: 'node', lib: ['es2022'], strict: true,
        esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'],
      },
      include: ['bin/**/*.ts'],
    }),
    '.gitignore': ['node_modules/', 'cdk.out/', '.cdk.staging/', '*.tgz', ''].join('\n'),
    'bin/app.ts': appSource(s),
    'README.md': readme(s),
  };
}

function appSource(s: ScaffoldSettings): string {
  return `#!/usr/bin/env node
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { ApiWorkflow, GenAiBudgets, GenAiTagPolicy, GenAiTags } from 'genai-finops-constructs';

const app = new App();
// The GenAI tag schema on every resource; synthesis fails when a resource misses a required tag.
GenAiTags.apply(app, { environment: 'development', application: '${s.appName}', team: 'my-team', costCenter: 'my-cost-center' });
GenAiTagPolicy.enforce(app);

// The Region picks the models' cross-region inference profiles (US, EU, APAC...); without one, the US ones.
const stack = new Stack(app, '${s.stackName}', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' },
});

// POST {"message": "...", "tenantId": "customer-123"} to the URL, signed with SigV4 (IAM authorization).
const chat = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'chat' } });
new CfnOutput(stack, 'ChatUrl', { value: chat.invokeUrl });

// A monthly AWS Budget on this application's development spend, by its cost allocation tags (activate them once in
// the Billing console). Add emailSubscribers: ['you@example.com'] to be told at 50, 80 and 100 %.
const budgets = new GenAiBudgets(stack, 'Budgets', { application: '${s.appName}', developmentAmountUsd: 100 });
GenAiTags.apply(budgets, { feature: 'finops-guardrails' }); // a shared construct carries a Feature of its own
`;
}

function readme(s: ScaffoldSettings): string {
  return `# ${s.appName}

A CDK app made by \`genai-finops init\`: an API Gateway → Lambda → Amazon Bedrock workflow (\`ApiWorkflow\`) with
the GenAI tags, the tag policy and a monthly budget, from
[genai-finops-constructs](https://www.npmjs.com/package/genai-finops-constructs).

\`\`\`bash
npm install              # Node.js 20 or later
npx cdk synth            # synthesizes the ${s.stackName} stack into cdk.out/
npx cdk bootstrap        # once per account and Region, with AWS credentials
npx cdk deploy
npx cdk destroy          # the API Gateway logging role is retained, as aws-cdk-lib retains it
\`\`\`

- \`bin/app.ts\` is the app; \`cdk.json\` runs it with tsx, so there is no build step (\`npx tsc\` type-checks).
- Set the tags in \`bin/app.ts\` to your own (\`team\`, \`costCenter\`), then activate \`Environment\`,
  \`Application\`, \`Feature\`, \`Team\` and \`CostCenter\` as cost allocation tags in the Billing console, so the
  budget and Cost Explorer see the spend.
- At rest the stack costs about $1 a month: the KMS key of the budget's alert topic (no servers; a budget with
  notifications only is free). Each request pays a Lambda invocation, a DynamoDB read and write for the response
  cache, its log lines and the Bedrock tokens.
`;
}
