/** Reads a variable the construct always sets, failing loudly on a deployment mistake. */
export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set; the workflow construct sets it.`);
  return value;
}
