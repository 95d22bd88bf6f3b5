import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A stand-in for the model APIs the real agent CLIs call, on 127.0.0.1 only:
 * enough of the Anthropic Messages API (`POST /v1/messages`, streamed as SSE)
 * for `claude -p`, and of the OpenAI Responses API (`POST /v1/responses`, SSE)
 * for `codex exec`. The CLIs themselves are real; only the model is scripted.
 *
 * A script is keyed by a marker the test puts in the task's prompt
 * (`[[name]]`): each model request of a conversation whose messages contain
 * that marker (the last one, if several) takes the script's next step. A conversation whose script is
 * used up gets a final answer, so a CLI that asks once more (a resumed
 * session) still ends.
 */
export type Step =
  /** The final answer of a turn. */
  | { kind: 'text'; text: string }
  /** A tool call that writes `content` to `path` (relative to the agent's working directory). */
  | { kind: 'write'; path: string; content: string }
  /** A tool call that runs a shell command. */
  | { kind: 'shell'; command: string }
  /** An HTTP error with the provider's own error body, for `times` requests in a row (default 1). */
  | { kind: 'status'; status: 401 | 429 | 500 | 529; message?: string; times?: number }
  /**
   * The account's usage limit, as each provider reports it, resetting `resetsInS` seconds from the
   * request, for `times` requests in a row (default 1). Anthropic: HTTP 429 with the
   * `anthropic-ratelimit-unified-*` headers saying `rejected` and the reset (epoch seconds), which
   * Claude Code turns into its `rate_limit_event`; OpenAI: HTTP 429 with a `usage_limit_reached`
   * error carrying `resets_at` and `resets_in_seconds`, as ChatGPT's backend answers Codex.
   */
  | { kind: 'limit'; resetsInS: number; times?: number }
  /** Headers sent, then nothing: the CLI waits until it gives up or is stopped. */
  | { kind: 'hang' }
  /** The stream starts, then the connection drops mid-answer. */
  | { kind: 'cut' };

export interface Request {
  api: 'anthropic' | 'openai';
  /** The script the request was matched to, or undefined. */
  script: string | undefined;
  body: Record<string, unknown>;
}

export class StubModel {
  readonly requests: Request[] = [];
  private readonly cursors = new Map<string, number>();
  /** How often the current `status` step of a script has answered. */
  private readonly repeats = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: http.Server,
    private readonly scripts: Record<string, Step[]>,
  ) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Starts a server on a free loopback port. */
  static async start(scripts: Record<string, Step[]>): Promise<StubModel> {
    const server = http.createServer();
    const stub = new StubModel(server, scripts);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => stub.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  /** The base URL: `${url}/v1/messages`, `${url}/v1/responses`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Requests made for one script. */
  requestsFor(script: string): Request[] {
    return this.requests.filter((r) => r.script === script);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // A body that is not JSON is answered as any unknown request.
      }
      const api = path === '/v1/messages' ? 'anthropic' : path === '/v1/responses' ? 'openai' : undefined;
      if (req.method !== 'POST' || api === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const script = this.scriptOf(body);
      this.requests.push({ api, script, body });
      const step = this.next(script);
      if (step.kind === 'status') return this.error(api, res, step.status, step.message ?? `stub ${step.status}`);
      if (step.kind === 'limit') return this.limit(api, res, step.resetsInS);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (step.kind === 'hang') return;
      const send = api === 'anthropic' ? anthropicEvents(step, this.requests.length, body) : openaiEvents(step, this.requests.length);
      if (step.kind === 'cut') {
        res.write(send[0]);
        res.socket?.destroy();
        return;
      }
      res.end(send.join(''));
    });
  }

  /** The script whose marker comes last in the conversation: a follow-up's prompt quotes earlier tasks' markers first. */
  private scriptOf(body: Record<string, unknown>): string | undefined {
    const text = JSON.stringify(body.messages ?? body.input ?? '');
    let found: string | undefined;
    let at = -1;
    for (const name of Object.keys(this.scripts)) {
      const i = text.lastIndexOf(`[[${name}]]`);
      if (i > at) [found, at] = [name, i];
    }
    return found;
  }

  private next(script: string | undefined): Step {
    if (script === undefined) return { kind: 'text', text: 'done' };
    const at = this.cursors.get(script) ?? 0;
    const step = this.scripts[script]![at] ?? { kind: 'text', text: 'done' };
    const repeat = this.repeats.get(script) ?? 0;
    if ((step.kind === 'status' || step.kind === 'limit') && repeat + 1 < (step.times ?? 1)) {
      this.repeats.set(script, repeat + 1);
      return step;
    }
    this.repeats.delete(script);
    this.cursors.set(script, at + 1);
    return step;
  }

  private limit(api: 'anthropic' | 'openai', res: http.ServerResponse, resetsInS: number): void {
    const resetsAt = Math.floor(Date.now() / 1000) + resetsInS;
    if (api === 'anthropic') {
      res
        .writeHead(429, {
          'content-type': 'application/json',
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-reset': String(resetsAt),
          'anthropic-ratelimit-unified-representative-claim': 'five_hour',
          'anthropic-ratelimit-unified-5h-status': 'rejected',
          'anthropic-ratelimit-unified-5h-reset': String(resetsAt),
          'anthropic-ratelimit-unified-5h-utilization': '1.0',
        })
        .end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'This request would exceed your account\'s rate limit. Please try again later.' } }));
    } else {
      res
        .writeHead(429, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'pro', resets_at: resetsAt, resets_in_seconds: resetsInS } }));
    }
  }

  private error(api: 'anthropic' | 'openai', res: http.ServerResponse, status: number, message: string): void {
    const headers = { 'content-type': 'application/json', 'retry-after': '0' };
    if (api === 'anthropic') {
      const type =
        status === 401 ? 'authentication_error'
        : status === 429 ? 'rate_limit_error'
        : status === 529 ? 'overloaded_error'
        : 'api_error';
      res.writeHead(status, headers).end(JSON.stringify({ type: 'error', error: { type, message } }));
    } else {
      const code = status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : 'server_error';
      res.writeHead(status, headers).end(JSON.stringify({ error: { type: code, code, message } }));
    }
  }
}

function sse(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** A Messages API stream: message_start, one content block, message_delta with the stop reason, message_stop. */
function anthropicEvents(step: Step, n: number, body: Record<string, unknown>): string[] {
  const events = [
    sse('message_start', {
      message: {
        id: `msg_stub_${n}`,
        type: 'message',
        role: 'assistant',
        model: body.model ?? 'stub',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 100, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      },
    }),
  ];
  const tool =
    step.kind === 'write' ? { name: 'Write', input: { file_path: step.path, content: step.content } }
    : step.kind === 'shell' ? { name: 'Bash', input: { command: step.command, description: 'run a command' } }
    : undefined;
  if (tool) {
    events.push(
      sse('content_block_start', { index: 0, content_block: { type: 'tool_use', id: `toolu_stub_${n}`, name: tool.name, input: {} } }),
      sse('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(tool.input) } }),
      sse('content_block_stop', { index: 0 }),
      sse('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 20 } }),
    );
  } else {
    const text = step.kind === 'text' ? step.text : 'done';
    events.push(
      sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
      sse('content_block_stop', { index: 0 }),
      sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 10 } }),
    );
  }
  events.push(sse('message_stop', {}));
  return events;
}

/** A Responses API stream: response.created, one output item, response.completed with usage. */
function openaiEvents(step: Step, n: number): string[] {
  const id = `resp_stub_${n}`;
  const command =
    step.kind === 'write' ? `printf '%s' ${shellQuote(step.content)} > ${shellQuote(step.path)}`
    : step.kind === 'shell' ? step.command
    : undefined;
  const item =
    command !== undefined ?
      { type: 'function_call', id: `fc_stub_${n}`, call_id: `call_stub_${n}`, name: 'exec_command', arguments: JSON.stringify({ cmd: command }) }
    : { type: 'message', role: 'assistant', id: `msg_stub_${n}`, content: [{ type: 'output_text', text: step.kind === 'text' ? step.text : 'done' }] };
  return [
    sse('response.created', { response: { id } }),
    sse('response.output_item.added', { output_index: 0, item }),
    sse('response.output_item.done', { output_index: 0, item }),
    sse('response.completed', {
      response: {
        id,
        usage: {
          input_tokens: 100,
          input_tokens_details: { cached_tokens: 40 },
          output_tokens: 10,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 110,
        },
      },
    }),
  ];
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
