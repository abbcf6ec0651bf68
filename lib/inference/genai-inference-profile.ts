import { Names } from 'aws-cdk-lib';
import { CfnApplicationInferenceProfile } from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { GenAiTags, GenAiTagValues } from '../tagging';
import { BedrockModel } from './bedrock-model';
import { checkModelRegion } from './region-availability';
import { checkProps, PropKinds } from '../private/prop-check';
import { GENAI_TAG_VALUE_KINDS } from '../tagging/tag-value-kinds';

/** Properties of a {@link GenAiInferenceProfile}. */
export interface GenAiInferenceProfileProps {
  /** The model the profile copies from. */
  readonly model: BedrockModel;
  /**
   * The profile name, unique in the account and region.
   * @default - derived from the construct path
   */
  readonly profileName?: string;
  /**
   * Extra GenAI tags for the profile. ModelProvider and Model are set from the model.
   * @default - only the tags inherited from enclosing scopes
   */
  readonly tags?: GenAiTagValues;
}

// Only what a runtime needs to send prompts: Converse is authorized as InvokeModel, ConverseStream as
// InvokeModelWithResponseStream ("This operation requires permission for the bedrock:InvokeModelWithResponseStream
// action": https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html).
const INVOKE_ACTION = 'bedrock:InvokeModel';
const STREAM_ACTION = 'bedrock:InvokeModelWithResponseStream';

/** Options of {@link GenAiInferenceProfile.grantInvoke}. */
export interface GrantInvokeOptions {
  /**
   * Also allow the streaming calls (`ConverseStream`, `InvokeModelWithResponseStream`), authorized as
   * `bedrock:InvokeModelWithResponseStream`. The workflows pass false unless their handler streams.
   * @default true
   */
  readonly responseStreaming?: boolean;
}

/**
 * A Bedrock application inference profile for one workflow and one model.
 *
 * Bedrock bills the tokens to the resource that is invoked. Tags on the Lambda never reach Bedrock's line items;
 * tags on an application inference profile do, so each workflow invokes its models through its own profile,
 * carrying the workflow's GenAI tags.
 */
export class GenAiInferenceProfile extends Construct {
  /** The profile's ARN: pass it as `modelId` to Converse or InvokeModel. */
  public readonly profileArn: string;
  /** The profile's id. */
  public readonly profileId: string;
  /** The model behind the profile. */
  public readonly model: BedrockModel;
  /** The underlying CloudFormation resource. */
  public readonly resource: CfnApplicationInferenceProfile;

  constructor(scope: Construct, id: string, props: GenAiInferenceProfileProps) {
    super(scope, id);
    checkProps(this, 'GenAiInferenceProfileProps', props, GEN_AI_INFERENCE_PROFILE_PROP_KINDS);
    checkModelRegion(this, props.model, 'model', true);
    this.model = props.model;
    this.resource = new CfnApplicationInferenceProfile(this, 'Resource', {
      inferenceProfileName: props.profileName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }),
      description: `GenAI cost attribution profile for ${props.model.invocationId}`,
      modelSource: { copyFrom: props.model.sourceArn(this) },
    });
    this.profileArn = this.resource.attrInferenceProfileArn;
    this.profileId = this.resource.attrInferenceProfileId;
    GenAiTags.apply(this, {
      modelProvider: props.model.provider,
      model: props.model.shortName,
      ...props.tags,
    });
  }

  /**
   * Allow `grantee` to invoke the model through this profile: on the profile itself, on the system-defined
   * cross-region profile it copies (if any), and on the foundation model only when the request comes through this
   * profile (`bedrock:InferenceProfileArn`). The system-defined profile is allowed without that condition, so a
   * grantee could also call `us.<model>` directly, untagged; the bundled handlers never do. The actions are
   * `bedrock:InvokeModel` (Converse) and, unless `options.responseStreaming` is false,
   * `bedrock:InvokeModelWithResponseStream` (ConverseStream).
   */
  public grantInvoke(grantee: iam.IGrantable, options: GrantInvokeOptions = {}): iam.Grant {
    const actions = (options.responseStreaming ?? true) ? [INVOKE_ACTION, STREAM_ACTION] : [INVOKE_ACTION];
    const direct = [this.profileArn];
    if (this.model.geography) direct.push(this.model.sourceArn(this));
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns: direct });
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions,
      resources: [this.model.foundationModelArn(this)],
      conditions: { StringEquals: { 'bedrock:InferenceProfileArn': this.profileArn } },
    }));
    if (this.model.geography && Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResource(grantee.grantPrincipal, this.model.foundationModelArn(this),
        `A ${this.model.geography} cross-region profile routes to ${this.model.modelId} in any region of its geography; the region wildcard is limited to requests made through this application inference profile (bedrock:InferenceProfileArn).`);
    }
    return grant;
  }
}

// The known keys of GenAiInferenceProfileProps and what each holds (lib/private/prop-check.ts).
const GEN_AI_INFERENCE_PROFILE_PROP_KINDS = { model: 'object', profileName: 'string', tags: { fields: GENAI_TAG_VALUE_KINDS } } as const satisfies PropKinds<GenAiInferenceProfileProps>;
