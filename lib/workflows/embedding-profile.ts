import { Annotations, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { IEmbeddingCache } from '../data-stores';
import { EMBEDDING_TABLE_ACTIONS } from '../private/cache-table';
import { BedrockModel, GenAiInferenceProfile } from '../inference';

/** How a workflow's handler calls its embeddings model. */
export interface EmbeddingInvocation {
  /** What InvokeModel is called with: the application inference profile's ARN, or the model id when it is a token. */
  readonly invokeId: string;
  /** The workflow's profile for the embeddings model. */
  readonly profile?: GenAiInferenceProfile;
  /** Allows `grantee` the cache's table and the model through the profile only. */
  grant(grantee: iam.IGrantable): void;
}

/**
 * Embeddings through an application inference profile of the workflow, like its Converse calls: Bedrock bills the
 * tokens to the resource invoked, so a call to the foundation model reaches the bill without the workflow's tags.
 * Application inference profiles copy from a foundation model and are accepted by InvokeModel in place of the model
 * id ("Use an inference profile in model invocation":
 * https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-use.html; "Application inference
 * profiles": https://docs.aws.amazon.com/bedrock/latest/userguide/cost-mgmt-application-inference-profiles.html).
 *
 * The handler may read and write the cache's table and invoke the model through this profile only: the foundation
 * model is allowed only for requests made through the profile (`bedrock:InferenceProfileArn`), so no direct,
 * untagged call is possible. (`IEmbeddingCache.grantReadWrite` grants the foundation model directly, for a function
 * of your own that calls it by id.)
 */
export function embeddingInvocation(scope: Construct, cache: IEmbeddingCache): EmbeddingInvocation {
  if (Token.isUnresolved(cache.modelId)) {
    Annotations.of(scope).addWarningV2('genai-finops:embedding-untagged',
      `${scope.node.path}: the embedding cache's modelId is a token, so no application inference profile can be made for it: embeddings are billed to the foundation model, without the workflow's tags. Fix: give the EmbeddingCache a literal modelId.`);
    return { invokeId: cache.modelId, grant: (grantee) => cache.grantReadWrite(grantee) };
  }
  const profile = new GenAiInferenceProfile(scope, 'EmbeddingProfile', { model: BedrockModel.foundationModel(cache.modelId) });
  return {
    invokeId: profile.profileArn,
    profile,
    grant: (grantee) => {
      cache.table.grant(grantee, ...EMBEDDING_TABLE_ACTIONS);
      // InvokeModel only (embeddings never stream), on the profile, and on the model only through the profile.
      iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeModel'], resourceArns: [profile.profileArn] });
      grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: [profile.model.foundationModelArn(scope)],
        conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profile.profileArn } },
      }));
    },
  };
}
