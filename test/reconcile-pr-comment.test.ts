import * as github from '@actions/github';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PLAN_MARKER, upsertStickyComment } from '../actions/lib/github/pr-comment.js';

interface Stored {
  id: number;
  body: string;
}

/** The three GitHub REST endpoints the sticky comment uses, on loopback. */
async function fakeGitHub(initial: string[]) {
  let nextId = 1;
  const comments: Stored[] = initial.map((body) => ({ id: nextId++, body }));
  const calls: string[] = [];
  const read = async (req: IncomingMessage) => {
    let s = '';
    for await (const c of req) s += String(c);
    return JSON.parse(s || '{}') as { body?: string };
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      calls.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(data));
      };
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && (m = /^\/repos\/o\/r\/issues\/7\/comments$/.exec(url.pathname))) {
        const per = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        return send(
          200,
          comments
            .slice((page - 1) * per, page * per)
            .map((c) => ({ ...c, user: { login: 'bot' } })),
        );
      }
      if (req.method === 'POST' && /^\/repos\/o\/r\/issues\/7\/comments$/.test(url.pathname)) {
        const { body } = await read(req);
        if ((body ?? '').length > 65_536) return send(422, { message: 'Body is too long' });
        const c = { id: nextId++, body: body ?? '' };
        comments.push(c);
        return send(201, c);
      }
      if (
        req.method === 'PATCH' &&
        (m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname))
      ) {
        const c = comments.find((x) => x.id === Number(m![1]));
        if (!c) return send(404, { message: 'Not Found' });
        const { body } = await read(req);
        if ((body ?? '').length > 65_536) return send(422, { message: 'Body is too long' });
        c.body = body ?? '';
        return send(200, c);
      }
      send(404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    comments,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let gh: Awaited<ReturnType<typeof fakeGitHub>> | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

const target = { owner: 'o', repo: 'r', issueNumber: 7 };

describe('sticky plan comment', () => {
  it('creates one comment, then updates it in place', async () => {
    gh = await fakeGitHub(['LGTM']);
    const octokit = github.getOctokit('test-token', { baseUrl: gh.url });
    expect(await upsertStickyComment(octokit, target, 'plan one')).toEqual({
      action: 'created',
      id: 2,
    });
    expect(await upsertStickyComment(octokit, target, 'plan two')).toEqual({
      action: 'updated',
      id: 2,
    });
    expect(gh.comments).toEqual([
      { id: 1, body: 'LGTM' },
      { id: 2, body: `${PLAN_MARKER}\nplan two` },
    ]);
  });

  it('finds the marker on a later page of a long thread', async () => {
    const many = Array.from({ length: 130 }, (_, i) => `comment ${i}`);
    many[117] = `${PLAN_MARKER}\nold plan`;
    gh = await fakeGitHub(many);
    const octokit = github.getOctokit('test-token', { baseUrl: gh.url });
    expect(await upsertStickyComment(octokit, target, 'new plan')).toEqual({
      action: 'updated',
      id: 118,
    });
    expect(gh.comments).toHaveLength(130);
    expect(gh.calls.filter((c) => c.startsWith('GET'))).toEqual([
      'GET /repos/o/r/issues/7/comments?per_page=100&page=1',
      'GET /repos/o/r/issues/7/comments?per_page=100&page=2',
    ]);
  });

  it('leaves alone a reply that quotes the marker, and makes its own comment', async () => {
    gh = await fakeGitHub([`> about ${PLAN_MARKER} above: why?`]);
    const octokit = github.getOctokit('test-token', { baseUrl: gh.url });
    expect(await upsertStickyComment(octokit, target, 'plan')).toEqual({
      action: 'created',
      id: 2,
    });
    expect(gh.comments[0].body).toBe(`> about ${PLAN_MARKER} above: why?`);
  });

  it('cuts a body over GitHub’s limit instead of failing', async () => {
    gh = await fakeGitHub([]);
    const octokit = github.getOctokit('test-token', { baseUrl: gh.url });
    await upsertStickyComment(octokit, target, 'x'.repeat(70_000));
    expect(gh.comments[0].body.length).toBe(65_536);
    expect(gh.comments[0].body.startsWith(PLAN_MARKER)).toBe(true);
  });
});
