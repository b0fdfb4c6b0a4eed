import type { Logger } from '../log.js';
import type { BranchRule, BranchRulesApi } from '../gitops/push-check.js';

/**
 * The rules GitHub applies to a branch, from the REST API (readable with the job's token:
 * metadata read). A failure is "could not tell", logged: the push itself is the final word.
 */
export function githubBranchRules(
  apiUrl: string,
  repository: string,
  token: string,
  log?: Logger,
): BranchRulesApi {
  return {
    async rules(branch) {
      const url = `${apiUrl.replace(/\/$/, '')}/repos/${repository}/rules/branches/${encodeURIComponent(branch)}`;
      try {
        const r = await fetch(url, {
          headers: {
            accept: 'application/vnd.github+json',
            authorization: `Bearer ${token}`,
            'x-github-api-version': '2022-11-28',
          },
        });
        if (!r.ok) {
          log?.warn(`Could not read the rules of ${branch} (HTTP ${r.status}).`);
          return undefined;
        }
        return (await r.json()) as BranchRule[];
      } catch (err) {
        log?.warn(`Could not read the rules of ${branch}: ${(err as Error).message}`);
        return undefined;
      }
    },
  };
}
