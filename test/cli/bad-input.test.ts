import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from './run-cli';

// What a user gets for input the commands cannot use: what is wrong and the fix, never ENOENT or a raw SDK error.
describe('genai-finops on bad input', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'genai-finops-bad-input-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('assess on JSON that is not a template says so, instead of grading an empty app level 0', async () => {
    const file = path.join(dir, 'package.json');
    writeFileSync(file, JSON.stringify({ name: 'app', version: '1.0.0' }));

    const run = await runCli(['assess', file]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`'${file}' is JSON but not a CloudFormation template: it has no Resources section. Fix: pass the cloud assembly folder (cdk.out, after 'cdk synth') or one of its <Stack>.template.json files`);
  });

  test('assess on a file that is not JSON names the problem and the fix', async () => {
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'hello\n');

    const run = await runCli(['assess', file]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/'.*notes\.txt' is not JSON \(.*\), so not a synthesized template\. Fix: pass the cloud assembly folder/);
  });

  test('estimate on a missing file says where it looked and where the samples are, not ENOENT', async () => {
    const run = await runCli(['estimate', 'no/such/workload.json']);

    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('ENOENT');
    expect(run.stderr).toContain(`cannot read the workload file 'no/such/workload.json': there is no file at ${path.resolve(__dirname, '..', '..', 'no', 'such', 'workload.json')}. Fix: check the path; sample workloads are in examples/workloads/`);
  });

  describe('breaker reset with no AWS setup', () => {
    // Nothing can reach AWS: no Region, credential or profile variables, a home without ~/.aws, and the EC2
    // instance metadata service (the chain's last resort) off.
    let home: string;
    beforeAll(() => {
      home = mkdtempSync(path.join(tmpdir(), 'genai-finops-home-'));
    });
    afterAll(() => rmSync(home, { recursive: true, force: true }));
    const noAws = () => ({
      HOME: home,
      USERPROFILE: home,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    });
    const reset = ['breaker', 'reset', '--table', 'breaker-state', '--feature', 'support-chat', '--application', 'customer-support'];

    test('without a Region it names --region and AWS_REGION', async () => {
      const run = await runCli(reset, 45_000, noAws());

      expect(run.code).toBe(2);
      expect(run.stderr).not.toContain('Region is missing');
      expect(run.stderr).toContain('genai-finops: no AWS Region is set. Fix: pass --region R (the Region of the stack with the CircuitBreaker), or set AWS_REGION');
    });

    test('without credentials it says how to sign in and what the caller needs', async () => {
      const run = await runCli([...reset, '--region', 'us-east-1'], 45_000, noAws());

      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/genai-finops: no AWS credentials could be loaded \(.+\)\. Fix: sign in \(aws sso login, or aws configure\), or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the caller needs dynamodb:UpdateItem and dynamodb:PutItem on the table/);
    });
  });
});
