import * as core from '@actions/core';
import { COMMENT_LIMIT } from '../reconcile/render-markdown.js';

/** Hidden marker that identifies the plan comment on a pull request. */
export const PLAN_MARKER = '<!-- pve-gitops:plan -->';

interface Comment {
  id: number;
  body?: string | null;
}

/** The three GitHub REST calls the sticky comment needs; `getOctokit(token)` satisfies it. */
export interface CommentsApi {
  rest: {
    issues: {
      listComments(p: {
        owner: string;
        repo: string;
        issue_number: number;
        per_page?: number;
        page?: number;
      }): Promise<{ data: Comment[] }>;
      createComment(p: {
        owner: string;
        repo: string;
        issue_number: number;
        body: string;
      }): Promise<{ data: Comment }>;
      updateComment(p: {
        owner: string;
        repo: string;
        comment_id: number;
        body: string;
      }): Promise<{ data: Comment }>;
    };
  };
}

export interface StickyTarget {
  owner: string;
  repo: string;
  issueNumber: number;
  marker?: string;
}

/**
 * Creates the pull request's plan comment, or updates the one carrying the marker in place:
 * never a second one. The body is cut to GitHub's 65,536-character limit.
 */
export async function upsertStickyComment(
  api: CommentsApi,
  target: StickyTarget,
  body: string,
): Promise<{ action: 'created' | 'updated'; id: number }> {
  const marker = target.marker ?? PLAN_MARKER;
  const full = `${marker}\n${body}`;
  const text = full.length > COMMENT_LIMIT ? full.slice(0, COMMENT_LIMIT) : full;
  const base = { owner: target.owner, repo: target.repo };
  let existing: Comment | undefined;
  for (let page = 1; !existing; page++) {
    const { data } = await api.rest.issues.listComments({
      ...base,
      issue_number: target.issueNumber,
      per_page: 100,
      page,
    });
    // Ours start with the marker; a reply quoting or mentioning it is someone else's comment.
    existing = data.find((c) => c.body?.startsWith(marker));
    if (data.length < 100) break;
  }
  if (existing) {
    await api.rest.issues.updateComment({ ...base, comment_id: existing.id, body: text });
    return { action: 'updated', id: existing.id };
  }
  const { data } = await api.rest.issues.createComment({
    ...base,
    issue_number: target.issueNumber,
    body: text,
  });
  return { action: 'created', id: data.id };
}

/** GitHub's limit on one step's job summary. */
export const SUMMARY_LIMIT = 1024 * 1024;

/** Appends Markdown to the job summary, cut to the 1 MiB limit; never fails the step. */
export async function writeJobSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const text =
    Buffer.byteLength(markdown) > SUMMARY_LIMIT
      ? `${markdown.slice(0, SUMMARY_LIMIT / 4)}\n\n_Summary truncated; see the plan artifact._`
      : markdown;
  try {
    await core.summary.addRaw(text, true).write();
  } catch (err) {
    core.warning(`Could not write the job summary: ${(err as Error).message}`);
  }
}
