import { test, expect } from '@playwright/test';

// The real local LLM (llama-server + SmolLM2) started by `./dev test` / `./dev llm start`.
const baseUrl = process.env.GEPA_LLM_BASE_URL;
const model = process.env.GEPA_LLM_MODEL ?? 'smollm2-135m';

test.beforeAll(() => {
  if (!baseUrl) throw new Error('GEPA_LLM_BASE_URL is not set: run through `./dev test`, or `./dev llm start` and export it');
});

const chatBody = {
  model,
  messages: [
    { role: 'system', content: 'You are a concise assistant.' },
    { role: 'user', content: 'What is the capital of France? Answer in one short sentence.' },
  ],
  max_tokens: 32,
  temperature: 0,
  cache_prompt: false,
};

test('the local LLM fixture answers a real chat completion', async ({ request }) => {
  const res = await request.post(`${baseUrl}/chat/completions`, { data: chatBody });
  expect(res.status()).toBe(200);
  const json = await res.json();
  const text: string = json.choices?.[0]?.message?.content ?? '';
  expect(text.trim().length).toBeGreaterThan(0);
  expect(json.usage?.completion_tokens).toBeGreaterThan(0);
});

test('a page on another origin can call the local LLM through CORS', async ({ page }) => {
  await page.goto('/');
  const result = await page.evaluate(async ({ url, body }) => {
    const res = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer sk-not-a-real-key' },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    return { status: res.status, text: json.choices?.[0]?.message?.content ?? '' };
  }, { url: baseUrl, body: chatBody });
  expect(result.status).toBe(200);
  expect(result.text.trim().length).toBeGreaterThan(0);
});
