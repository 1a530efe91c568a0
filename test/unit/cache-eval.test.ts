import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cacheEval, isHoldOut } from '../../lib/eval/cache.ts';

const dir = fileURLToPath(new URL('../fixtures/realdata-mini-cache/', import.meta.url));

describe('cache evaluation (npm run eval)', () => {
  it('measures paraphrases, near misses, exact repeats and non-travel repeats on a corpus directory', async () => {
    const section = await cacheEval(dir);
    const row = (metric: string) => section.rows.find((r) => r.metric === metric);
    // group 1: both later members fit "flight from <city> to <city>"; group 2: "between … and …"
    // fits, "make a trip" does not (no flight said)
    expect(row('later paraphrase-group members served the gold route')).toMatchObject({
      value: 3 / 4,
      n: 4,
      met: true,
    });
    expect(row('paraphrase hits with a wrong route')).toMatchObject({ value: 0, met: true });
    // pair 1 (city) is re-bound right both ways; pair 2 (friday/sunday) must miss both ways
    expect(row('near misses served a wrong plan')).toMatchObject({ value: 0, n: 4, met: true });
    expect(row('near misses served a right plan (re-bound)')).toMatchObject({ value: 2 / 4 });
    // 3 of the 4 travel goals plan ("what is the weather like" does not); all repeats hit
    expect(row('exact repeats of completed travel goals served')).toMatchObject({
      value: 1,
      n: 3,
      met: true,
    });
    expect(row('exact repeats of non-travel goals served (llm_generate, http_request)')).toMatchObject({
      value: 1,
      n: 5,
      met: true,
    });
    expect(row('fetch near misses (other verb, two URLs, more words) served')).toMatchObject({
      value: 0,
      met: true,
    });
  });

  it('splits the hold-out half by a stable hash of the id', () => {
    expect(isHoldOut('group', 1)).toBe(isHoldOut('group', 1));
    const ids = Array.from({ length: 200 }, (_, i) => i);
    const held = ids.filter((i) => isHoldOut('group', i)).length;
    expect(held).toBeGreaterThan(60);
    expect(held).toBeLessThan(140);
  });
});
