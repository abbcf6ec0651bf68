import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { GenAiTags } from '../tagging';

/** The construct id of the singleton under its stack. Part of the contract: changing it replaces the role. */
export const API_GATEWAY_ACCOUNT_ID = 'GenAiApiGatewayAccount';
/** The Feature tag of the account-wide logging role, which serves every API of the stack. */
export const API_GATEWAY_ACCOUNT_FEATURE = 'api-gateway-logging';

/**
 * API Gateway's account settings (`AWS::ApiGateway::Account`): the role API Gateway writes execution logs with.
 * There is one per account and Region, so a stack declares it once however many APIs it has: two RestApis each
 * creating one would fight over the same setting. Both resources are retained on stack deletion, as aws-cdk-lib
 * does, because other APIs of the account may log through the role.
 */
export class ApiGatewayAccount extends Construct {
  /** The one of `scope`'s stack, created on first use. */
  public static of(scope: IConstruct): ApiGatewayAccount {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(API_GATEWAY_ACCOUNT_ID) as ApiGatewayAccount | undefined) ?? new ApiGatewayAccount(stack, API_GATEWAY_ACCOUNT_ID);
  }

  /** The role API Gateway assumes to write logs. */
  public readonly role: iam.Role;
  /** The account settings. */
  public readonly account: apigw.CfnAccount;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new iam.Role(this, 'CloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway writes execution logs of the stack\'s GenAI APIs with this role (account-wide setting)',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.account = new apigw.CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
    this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    GenAiTags.apply(this, { feature: API_GATEWAY_ACCOUNT_FEATURE });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-wide API Gateway logging role uses AmazonAPIGatewayPushToCloudWatchLogs, the policy API Gateway documents for it.',
    });
  }

  /** Make `api`'s stage wait for the account settings: a stage with logging fails to create without the role. */
  public attach(api: apigw.RestApi): void {
    api.deploymentStage.node.addDependency(this.account);
  }
}
