/**
 * The template resolver of the local tools (the convention of `sam local invoke -t`): the library's resolver
 * ({@link Resolver}, lib/finops-checks/template-resolver.ts, the one home of how intrinsics resolve) in a fixed local
 * account and Region, strict: a value the template does not define throws a TemplateError, as a function
 * must not run with a made-up environment.
 */
import { ResolverOptions as LibraryResolverOptions, TemplateResolver as Resolver } from '../../../../lib/finops-checks/template-resolver';
import type { CloudFormationTemplate } from './template';

/** The account and Region of local ARNs (nothing is called in AWS). */
export const LOCAL_ACCOUNT = '111122223333';
export const LOCAL_REGION = 'us-east-1';

/** Where the local resources are deemed to be. */
export type ResolverOptions = Pick<LibraryResolverOptions, 'account' | 'region' | 'stackName'>;

/** The resolver of one template, in LOCAL_ACCOUNT and LOCAL_REGION unless told otherwise; AWS::StackName 'local'. */
export class TemplateResolver extends Resolver {
  declare readonly template: CloudFormationTemplate;

  constructor(template: CloudFormationTemplate, options: ResolverOptions = {}) {
    super(template, { account: LOCAL_ACCOUNT, region: LOCAL_REGION, stackName: 'local', ...options, strict: true });
  }
}
