// The GitHub Actions runner contract, as the action tests read it back.

/** Parses the GITHUB_OUTPUT file (`name<<DELIM` … `DELIM` blocks as @actions/core writes). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (m) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) body.push(lines[i]);
      out[m[1]] = body.join('\n');
    } else if (lines[i].includes('=')) {
      const [k, ...v] = lines[i].split('=');
      out[k] = v.join('=');
    }
  }
  return out;
}

/** What the runner sets for one step, besides the inputs and the job's own `env:`. */
export interface RunnerContext {
  /** HOME of the runner user. */
  home: string;
  outputFile: string;
  summaryFile: string;
  tempDir: string;
  workspace: string;
  eventName: string;
  eventPath: string;
  sha: string;
  /** GITHUB_RUN_NUMBER (GITHUB_RUN_ID is 1000 more). */
  runNumber?: number;
}

/**
 * The environment GitHub's runner gives an action step, for a push to main of acme/homelab.
 * Every GitHub URL points at a closed loopback port: a stray API call never leaves the machine.
 */
export function runnerEnv(c: RunnerContext): Record<string, string> {
  const run = c.runNumber ?? 1;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: c.home,
    LANG: 'C.UTF-8',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: c.eventName,
    GITHUB_EVENT_PATH: c.eventPath,
    GITHUB_OUTPUT: c.outputFile,
    GITHUB_STEP_SUMMARY: c.summaryFile,
    GITHUB_WORKSPACE: c.workspace,
    GITHUB_SHA: c.sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_REF_TYPE: 'branch',
    GITHUB_REPOSITORY: 'acme/homelab',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_ACTOR: 'dev',
    GITHUB_RUN_ID: String(1000 + run),
    GITHUB_RUN_NUMBER: String(run),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'apply',
    GITHUB_WORKFLOW: 'apply',
    GITHUB_SERVER_URL: 'http://127.0.0.1:9',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_GRAPHQL_URL: 'http://127.0.0.1:9/graphql',
    RUNNER_TEMP: c.tempDir,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
  };
}

/** Inputs as the runner passes them: INPUT_<NAME>, upper case, spaces as underscores. */
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]),
  );
}
