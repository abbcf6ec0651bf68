import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { isBaseModelId, modelProvider, modelShortName } from '../../shared/core';

/** Geographies of Bedrock's system-defined cross-region inference profiles (the prefix of their ids). */
export enum CrossRegionGeography {
  /** Routes within US regions. */
  US = 'us',
  /** Routes within EU regions. */
  EU = 'eu',
  /** Routes within Asia Pacific regions. */
  APAC = 'apac',
  /** Routes within Japan (ap-northeast-1, ap-northeast-3). */
  JP = 'jp',
  /** Routes within Australia (ap-southeast-2, ap-southeast-4). */
  AU = 'au',
  /** Routes within Canada. */
  CA = 'ca',
  /** Routes within AWS GovCloud (US). */
  US_GOV = 'us-gov',
  /** Routes to any commercial region Bedrock chooses. */
  GLOBAL = 'global',
}


/**
 * A Bedrock model a workflow invokes, and where its application inference profile copies from.
 */
export class BedrockModel {
  /**
   * A model invoked in the stack's own region, e.g. `amazon.nova-micro-v1:0`.
   */
  public static foundationModel(modelId: string): BedrockModel {
    return new BedrockModel(modelId, undefined);
  }

  /**
   * A model invoked through a system-defined cross-region inference profile, e.g.
   * `crossRegion(CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0')` (`us.anthropic...`).
   * Newer Claude models can only be invoked this way.
   */
  public static crossRegion(geography: CrossRegionGeography, modelId: string): BedrockModel {
    return new BedrockModel(modelId, geography);
  }

  /** The base model id, e.g. `anthropic.claude-haiku-4-5-20251001-v1:0`. */
  public readonly modelId: string;
  /** The cross-region geography, if invoked through a system-defined profile. */
  public readonly geography?: CrossRegionGeography;
  /** The provider, the ModelProvider tag: the part of the id before the first dot. */
  public readonly provider: string;
  /** The short model name, the Model tag: the catalog's name (e.g. `claude-haiku-4-5`), else the id without provider, date and version. */
  public readonly shortName: string;

  private constructor(modelId: string, geography: CrossRegionGeography | undefined) {
    if (!isBaseModelId(modelId)) {
      throw new Error(
        `BedrockModel: '${modelId}' is not a Bedrock base model id. Fix: pass an id like 'anthropic.claude-haiku-4-5-20251001-v1:0' ` +
        "(for a cross-region profile use BedrockModel.crossRegion(CrossRegionGeography.US, '<base model id>') rather than the 'us.' prefix).",
      );
    }
    this.modelId = modelId;
    this.geography = geography;
    this.provider = modelProvider(modelId);
    // The catalog's name for a known model (so the Model tag and the metrics agree, and v1 and v2 of a model differ).
    this.shortName = modelShortName(modelId);
  }

  /** The id Bedrock is called with when no application profile is used: `us.anthropic...` or the base id. */
  public get invocationId(): string {
    return this.geography ? `${this.geography}.${this.modelId}` : this.modelId;
  }

  /** The ARN an application inference profile copies from: the foundation model or the system-defined profile. */
  public sourceArn(scope: IConstruct): string {
    const stack = Stack.of(scope);
    return this.geography
      ? `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:inference-profile/${this.invocationId}`
      : `arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${this.modelId}`;
  }

  /**
   * The foundation-model ARNs a request may reach. A cross-region profile routes to the model in any region
   * of its geography, which IAM sees as the foundation model in that region.
   */
  public foundationModelArn(scope: IConstruct): string {
    const stack = Stack.of(scope);
    const region = this.geography ? '*' : stack.region;
    return `arn:${stack.partition}:bedrock:${region}::foundation-model/${this.modelId}`;
  }
}
