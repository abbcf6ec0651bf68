import {
  baseModelId,
  batchFormat,
  derivedShortName,
  geographyOfPrefix,
  geographyServesRegion,
  INFERENCE_GEOGRAPHIES,
  isBaseModelId,
  modelFamily,
  modelProvider,
  parseModelId,
} from '../../../shared/core';

const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';

describe('parseModelId', () => {
  it('reads a base model id as itself, with no profile', () => {
    expect(parseModelId(HAIKU_45)).toEqual({ id: HAIKU_45, baseModelId: HAIKU_45 });
  });

  it.each(INFERENCE_GEOGRAPHIES.map((g) => [g]))('reads the %s. profile prefix and its geography', (geography) => {
    expect(parseModelId(`${geography}.${HAIKU_45}`)).toEqual({ id: `${geography}.${HAIKU_45}`, profilePrefix: `${geography}.`, geography, baseModelId: HAIKU_45 });
  });

  it('reads a foundation-model ARN', () => {
    const arn = `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU_45}`;
    expect(parseModelId(arn)).toEqual({
      id: arn,
      arn: { partition: 'aws', region: 'us-east-1', account: '', resourceType: 'foundation-model', resourceId: HAIKU_45 },
      baseModelId: HAIKU_45,
    });
  });

  it('reads a system-defined inference profile ARN down to its geography and base model', () => {
    const parsed = parseModelId(`arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.${HAIKU_45}`);
    expect(parsed).toMatchObject({ geography: 'us-gov', baseModelId: HAIKU_45, arn: { partition: 'aws-us-gov', resourceType: 'inference-profile' } });
  });

  it('keeps an application inference profile ARN opaque: it names no model', () => {
    const parsed = parseModelId('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4');
    expect(parsed.arn).toMatchObject({ resourceType: 'application-inference-profile', resourceId: 'a1b2c3d4' });
    expect(parsed.baseModelId).toBeUndefined();
    expect(parsed.geography).toBeUndefined();
  });

  it('names no model for a malformed ARN or a string that is not an id', () => {
    expect(parseModelId('arn:aws:s3:::bucket/key').baseModelId).toBeUndefined();
    expect(parseModelId('not a model').baseModelId).toBeUndefined();
  });

  it('does not read a Region-like provider name as a profile prefix', () => {
    expect(parseModelId('us-east-1.something')).toEqual({ id: 'us-east-1.something', baseModelId: 'us-east-1.something' });
  });

  it('fails for a value that is not a string', () => {
    expect(() => parseModelId(42 as unknown as string)).toThrow(/modelId must be a string, got number/);
  });
});

describe('isBaseModelId', () => {
  it.each([[HAIKU_45, true], ['amazon.titan-embed-text-v1', true], [`us.${HAIKU_45}`, false], ['claude', false], ['', false]])(
    '%p is %p', (id, expected) => {
      expect(isBaseModelId(id)).toBe(expected);
    });
});

describe('baseModelId', () => {
  it('gives the opaque id of an application inference profile, which no catalog knows unless keyed by it', () => {
    expect(baseModelId('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4')).toBe('a1b2c3d4');
  });
});

describe('geographies', () => {
  it('names the geography of a prefix with or without its dot', () => {
    expect(geographyOfPrefix('apac.')).toBe('apac');
    expect(geographyOfPrefix('jp')).toBe('jp');
    expect(geographyOfPrefix('mars.')).toBeUndefined();
  });

  it.each<[string, string, boolean]>([
    ['us', 'us-east-1', true], ['us', 'us-west-2', true], ['us', 'eu-west-1', false], ['us', 'us-gov-west-1', false],
    ['us-gov', 'us-gov-west-1', true], ['us-gov', 'us-east-1', false],
    ['eu', 'eu-central-1', true], ['eu', 'eu-south-2', true], ['eu', 'us-east-1', false],
    ['apac', 'ap-northeast-1', true], ['apac', 'ap-southeast-2', true], ['apac', 'me-central-1', true], ['apac', 'eu-west-1', false],
    ['jp', 'ap-northeast-1', true], ['jp', 'ap-northeast-3', true], ['jp', 'ap-southeast-1', false],
    ['au', 'ap-southeast-2', true], ['au', 'ap-southeast-4', true], ['au', 'ap-northeast-1', false],
    ['ca', 'ca-central-1', true], ['ca', 'us-east-1', false],
    ['global', 'us-east-1', true], ['global', 'sa-east-1', true], ['global', 'us-gov-west-1', false], ['global', 'cn-north-1', false],
  ])('a %s. profile %s callable from %s', (geography, region, served) => {
    expect(geographyServesRegion(geography as never, region)).toBe(served);
  });
});

describe('families and formats', () => {
  it.each([
    [HAIKU_45, 'anthropic', 'anthropic', 'anthropic'],
    ['us.amazon.nova-pro-v1:0', 'nova', 'amazon', 'nova'],
    ['amazon.nova-2-lite-v1:0', 'nova', 'amazon', 'nova'],
    ['amazon.nova-canvas-v1:0', 'nova', 'amazon', undefined],
    ['amazon.titan-embed-text-v2:0', 'titan', 'amazon', undefined],
    ['meta.llama3-70b-instruct-v1:0', 'llama', 'meta', undefined],
    ['acme.frontier-v1', undefined, 'acme', undefined],
  ])('%s is family %p of provider %p, batch format %p', (id, family, provider, format) => {
    expect(modelFamily(id)).toBe(family);
    expect(modelProvider(id)).toBe(provider);
    expect(batchFormat(id)).toBe(format);
  });

  it('derives a short name without provider, date and version', () => {
    expect(derivedShortName(`global.${HAIKU_45}`)).toBe('claude-haiku-4-5');
    expect(derivedShortName('amazon.nova-micro-v1:0')).toBe('nova-micro');
  });
});
