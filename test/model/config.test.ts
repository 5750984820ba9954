// BertConfig: presets with the sizes the course gives, validation with one clear error per problem,
// and absurd sizes refused before anything is allocated.
import { describe, it, expect } from 'vitest';
import { countParameters, presetConfig, validateConfig, PRESET_NAMES } from '../../lib/config.js';

describe('BertConfig', () => {
  it('presets: base is the 110M model, large the 340M one', () => {
    expect(PRESET_NAMES).toEqual(['tiny', 'mini', 'small', 'medium', 'base', 'large']);
    const base = presetConfig('base', 30522);
    expect([base.num_hidden_layers, base.hidden_size, base.num_attention_heads, base.intermediate_size]).toEqual([12, 768, 12, 3072]);
    expect(countParameters(base)).toBe(109_482_240); // bert-base-uncased's BertModel
    expect(Math.round(countParameters(presetConfig('large', 30522)) / 1e6)).toBe(335);
    expect(presetConfig('tiny', 100)).toMatchObject({ num_hidden_layers: 2, hidden_size: 128, num_attention_heads: 2, intermediate_size: 512, max_position_embeddings: 512, type_vocab_size: 2, layer_norm_eps: 1e-12 });
  });

  it('a size left out takes transformers\' BertConfig default, as BertConfig.from_dict does', () => {
    const cfg = validateConfig({ hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64 });
    expect(cfg).toMatchObject({ vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_dropout_prob: 0.1 });
    expect(validateConfig({})).toMatchObject({ hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 });
    expect(() => validateConfig({ type_vocab_size: null })).toThrow(/type_vocab_size must be a positive integer, got null/);
  });

  const ok = presetConfig('tiny', 100) as unknown as Record<string, unknown>;
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['heads not dividing hidden', { hidden_size: 129 }, /hidden_size 129 is not divisible by num_attention_heads 2/],
    ['zero layers', { num_hidden_layers: 0 }, /num_hidden_layers must be a positive integer, got 0/],
    ['fractional size', { vocab_size: 10.5 }, /vocab_size must be a positive integer/],
    ['unknown activation', { hidden_act: 'relu' }, /hidden_act 'relu' is not supported/],
    ['dropout of 1', { hidden_dropout_prob: 1 }, /hidden_dropout_prob must be in \[0, 1\)/],
    ['absurd vocabulary', { vocab_size: 1e9 }, /vocab_size is 1000000000, over the limit/],
    ['absurd total', { hidden_size: 16384, num_attention_heads: 16, num_hidden_layers: 256 }, /billion parameters, over the limit/],
    ['pad outside the vocabulary', { pad_token_id: 100 }, /pad_token_id 100 is outside the vocabulary/],
    ['another model type', { model_type: 'roberta' }, /model_type is 'roberta', expected 'bert'/],
  ];
  for (const [name, patch, msg] of bad) {
    it(`refuses ${name}`, () => {
      expect(() => validateConfig({ ...ok, ...patch }, 'config.json')).toThrow(msg);
    });
  }
});
