import { UsageError } from '../../shared/cli/args';

describe('UsageError', () => {
  test('is recognised when another copy of the module threw it, as the companion package\'s bundle does', () => {
    let OtherCopy!: typeof UsageError;
    jest.isolateModules(() => {
      OtherCopy = (require('../../shared/cli/args') as typeof import('../../shared/cli/args')).UsageError;
    });
    const thrown = new OtherCopy('--requests must be a whole number', 'demo');

    expect(OtherCopy).not.toBe(UsageError);
    expect(thrown instanceof UsageError).toBe(false);
    expect(UsageError.is(thrown)).toBe(true);
  });

  test('is not any error named UsageError, nor a plain error', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'UsageError' });

    expect(UsageError.is(lookalike)).toBe(false);
    expect(UsageError.is(new Error('x'))).toBe(false);
    expect(UsageError.is(undefined)).toBe(false);
  });
});
