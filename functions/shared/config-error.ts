/** A function's settings are wrong: thrown at cold start, naming every problem at once. */
export class ConfigError extends Error {
  constructor(component: string, problems: string[]) {
    super(`The ${component} is misconfigured:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}
