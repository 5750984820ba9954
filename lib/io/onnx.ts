// A model as an ONNX graph (opset 17, IR 8) that ONNX Runtime and transformers.js run: inputs
// input_ids / attention_mask / token_type_ids [batch, sequence] int64 with both axes dynamic, the
// encoder as HF's BertModel computes it (embeddings → LayerNormalization; per layer Q, K, V,
// scaled dot-product attention with the padding masked at float32's lowest, output dense,
// residual + LayerNormalization, GELU by erf, residual + LayerNormalization; the pooler's tanh on
// [CLS]), and the head's outputs named as HF's ONNX exports name them: logits (sequence and token
// classification, masked LM; multiple choice, whose inputs are [batch, choices, sequence]), start_logits / end_logits (QA), last_hidden_state / pooler_output
// (a bare encoder). The weights go in as initializers, each linear weight transposed once for MatMul.
// The protobuf is written with protobufjs from the schema subset below (field numbers of onnx.proto3).
import protobuf from 'protobufjs';
import { BertError } from '../errors.js';
import type { BertForTask } from '../model/bert.js';
import { native } from '../native.js';
import { layerNames, MASK_VALUE } from '../model/encoder.js';
import type { OnnxGraph, OnnxOutput } from '../model/heads/head.js';

const FLOAT = 1, INT8 = 3, INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, TENSOR: 4, INTS: 7 } as const;

// the messages of onnx.proto3 an inference graph needs, with their field numbers
const schema = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        ModelProto: { fields: { ir_version: { type: 'int64', id: 1 }, producer_name: { type: 'string', id: 2 }, producer_version: { type: 'string', id: 3 }, graph: { type: 'GraphProto', id: 7 }, opset_import: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        GraphProto: { fields: { node: { rule: 'repeated', type: 'NodeProto', id: 1 }, name: { type: 'string', id: 2 }, initializer: { rule: 'repeated', type: 'TensorProto', id: 5 }, input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 }, output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 } } },
        NodeProto: { fields: { input: { rule: 'repeated', type: 'string', id: 1 }, output: { rule: 'repeated', type: 'string', id: 2 }, name: { type: 'string', id: 3 }, op_type: { type: 'string', id: 4 }, attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 } } },
        AttributeProto: { fields: { name: { type: 'string', id: 1 }, f: { type: 'float', id: 2 }, i: { type: 'int64', id: 3 }, t: { type: 'TensorProto', id: 5 }, ints: { rule: 'repeated', type: 'int64', id: 8 }, type: { type: 'int32', id: 20 } } },
        TensorProto: { fields: { dims: { rule: 'repeated', type: 'int64', id: 1 }, data_type: { type: 'int32', id: 2 }, name: { type: 'string', id: 8 }, raw_data: { type: 'bytes', id: 9 } } },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensor_type: { type: 'TypeTensor', id: 1 } } },
        TypeTensor: { fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: { fields: { dim_value: { type: 'int64', id: 1 }, dim_param: { type: 'string', id: 2 } } },
      },
    },
  },
});

type Attr = { name: string; f?: number; i?: number; ints?: number[]; t?: Tensor; type: number };
interface Tensor { name?: string; dims: number[]; data_type: number; raw_data: Uint8Array }
interface Node { op_type: string; input: string[]; output: string[]; name: string; attribute: Attr[] }

const floatTensor = (name: string, dims: number[], data: Float32Array): Tensor =>
  ({ name, dims, data_type: FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
const int8Tensor = (name: string, dims: number[], data: Int8Array): Tensor =>
  ({ name, dims, data_type: INT8, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
const int64Tensor = (name: string, dims: number[], data: number[]): Tensor =>
  ({ name, dims, data_type: INT64, raw_data: new Uint8Array(BigInt64Array.from(data, BigInt).buffer) });

/** The outputs a model exports, as HF's ONNX exports (optimum) name them: the head's, or a bare encoder's. */
export function onnxOutputs(model: BertForTask): OnnxOutput[] {
  const H = model.cfg.hidden_size;
  return model.head ? model.head.onnxOutputs() : [{ name: 'last_hidden_state', shape: ['batch_size', 'sequence_length', H] }, { name: 'pooler_output', shape: ['batch_size', H] }];
}

/**
 * The model as an ONNX ModelProto's bytes. `int8`: the encoder's linear layers as ONNX Runtime's
 * dynamic quantization writes them (DynamicQuantizeLinear on the activation — uint8, one scale and
 * zero point per tensor — MatMulInteger against int8 weights quantized as bert-cli's --dtype int8
 * quantizes them, symmetric per output channel, then Cast and the two scales); pooler and heads float32.
 */
export function exportOnnx(model: BertForTask, opts: { int8?: boolean } = {}): Uint8Array {
  const cfg = model.cfg, arch = model.arch;
  const outputs = onnxOutputs(model);
  const H = cfg.hidden_size, NH = cfg.num_attention_heads, HS = H / NH, eps = cfg.layer_norm_eps;
  const prefix = model.encoder.prefix;
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  let k = 0;
  const node = (op: string, input: string[], attribute: Attr[] = [], nOut = 1): string[] => {
    const out = Array.from({ length: nOut }, (_, j) => `${op.toLowerCase()}_${k}${nOut > 1 ? `_${j}` : ''}`);
    nodes.push({ op_type: op, input, output: out, name: `${op}_${k++}`, attribute });
    return out;
  };
  const one = (op: string, input: string[], attribute: Attr[] = []) => node(op, input, attribute)[0];
  const param = (name: string, dims?: number[]): string => {
    const v = model.store.view(name);
    inits.push(floatTensor(name, dims ?? model.store.spec(name).shape, Float32Array.from(v)));
    return name;
  };
  // a weight [N, K] transposed to [K, N] once, for MatMul(x, Wᵀ)
  const weightT = (name: string): string => {
    const [N, K] = model.store.spec(name).shape;
    const w = model.store.view(name), t = new Float32Array(N * K);
    for (let n = 0; n < N; n++) for (let c = 0; c < K; c++) t[c * N + n] = w[n * K + c];
    inits.push(floatTensor(`${name}.T`, [K, N], t));
    return `${name}.T`;
  };
  const constF = (name: string, v: number) => (inits.push(floatTensor(name, [], Float32Array.of(v))), name);
  const constI = (name: string, v: number[], dims = [v.length]) => (inits.push(int64Tensor(name, dims, v)), name);
  const linear = (x: string, w: string, b: string) => one('Add', [one('MatMul', [x, weightT(w)]), param(b)]);
  // int8: W [N,K] → q [K,N] int8 (transposed for MatMulInteger) with zero points 0 and scales [N]
  const linearInt8 = (x: string, w: string, b: string) => {
    if (!opts.int8) return linear(x, w, b);
    const [N, K] = model.store.spec(w).shape;
    const q = new Int8Array(N * K), s = new Float32Array(N), t = new Int8Array(N * K);
    native.int8QuantizeWeights(model.store.view(w), N, K, q, s);
    for (let n = 0; n < N; n++) for (let c = 0; c < K; c++) t[c * N + n] = q[n * K + c];
    inits.push(int8Tensor(`${w}.q`, [K, N], t), int8Tensor(`${w}.zero`, [N], new Int8Array(N)), floatTensor(`${w}.scale`, [N], s));
    const [xq, xs, xz] = node('DynamicQuantizeLinear', [x], [], 3);
    const y = one('Cast', [one('MatMulInteger', [xq, `${w}.q`, xz, `${w}.zero`])], [{ name: 'to', i: FLOAT, type: ATTR.INT }]);
    return one('Add', [one('Mul', [y, one('Mul', [xs, `${w}.scale`])]), param(b)]);
  };
  const layerNorm = (x: string, w: string, b: string) => one('LayerNormalization', [x, param(w), param(b)], [{ name: 'axis', i: -1, type: ATTR.INT }, { name: 'epsilon', f: eps, type: ATTR.FLOAT }]);
  const gelu = (x: string) => one('Mul', [one('Mul', [x, constF(`half_${k}`, 0.5)]), one('Add', [one('Erf', [one('Div', [x, constF(`sqrt2_${k}`, Math.SQRT2)])]), constF(`one_${k}`, 1)])]);

  // multiple choice takes [batch, choices, sequence], as HF's exports do: the choices are rows of one batch
  const choice = !!model.head?.choices;
  const inputShape = one('Shape', ['input_ids']);
  const dim = (axis: number) => one('Gather', [inputShape, constI(`dim_${axis}`, [axis], [])], [{ name: 'axis', i: 0, type: ATTR.INT }]);
  const seqLen = dim(choice ? 2 : 1);
  const rows = choice ? one('Concat', [constI('minus_one', [-1]), one('Unsqueeze', [seqLen, constI('axis0', [0])])], [{ name: 'axis', i: 0, type: ATTR.INT }]) : '';
  const [inputIds, attentionMask, tokenTypeIds] = ['input_ids', 'attention_mask', 'token_type_ids'].map((nm) => (choice ? one('Reshape', [nm, rows]) : nm));

  // embeddings: word + position + token type, then LayerNorm
  const positions = one('Range', [constI('zero', [0], []), seqLen, constI('step', [1], [])]);
  const word = one('Gather', [param(`${prefix}embeddings.word_embeddings.weight`), inputIds]);
  const pos = one('Gather', [param(`${prefix}embeddings.position_embeddings.weight`), positions]);
  const type = one('Gather', [param(`${prefix}embeddings.token_type_embeddings.weight`), tokenTypeIds]);
  let x = layerNorm(one('Add', [one('Add', [word, pos]), type]), `${prefix}embeddings.LayerNorm.weight`, `${prefix}embeddings.LayerNorm.bias`);
  // the padding's attention scores at float32's lowest, as the engine (and HF's finfo.min)
  const maskF = one('Cast', [attentionMask], [{ name: 'to', i: FLOAT, type: ATTR.INT }]);
  const maskAdd = one('Mul', [one('Sub', [constF('one', 1), one('Unsqueeze', [maskF, constI('mask_axes', [1, 2])])]), constF('mask_value', MASK_VALUE)]);
  const heads = constI('heads_shape', [0, 0, NH, HS]), merged = constI('merged_shape', [0, 0, H]);
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const n = layerNames(prefix, l);
    const split = (w: string, b: string, perm: number[]) => one('Transpose', [one('Reshape', [linearInt8(x, w, b), heads])], [{ name: 'perm', ints: perm, type: ATTR.INTS }]);
    const q = split(n.qw, n.qb, [0, 2, 1, 3]), kT = split(n.kw, n.kb, [0, 2, 3, 1]), v = split(n.vw, n.vb, [0, 2, 1, 3]);
    const scores = one('Add', [one('Mul', [one('MatMul', [q, kT]), constF(`scale_${l}`, 1 / Math.sqrt(HS))]), maskAdd]);
    const ctx = one('Reshape', [one('Transpose', [one('MatMul', [one('Softmax', [scores], [{ name: 'axis', i: -1, type: ATTR.INT }]), v])], [{ name: 'perm', ints: [0, 2, 1, 3], type: ATTR.INTS }]), merged]);
    const a = layerNorm(one('Add', [linearInt8(ctx, n.ow, n.ob), x]), n.ln1w, n.ln1b);
    x = layerNorm(one('Add', [linearInt8(gelu(linearInt8(a, n.iw, n.ib)), n.outw, n.outb), a]), n.ln2w, n.ln2b);
  }
  let pooled: string | null = null;
  const pooler = () => (pooled ??= one('Tanh', [linear(one('Gather', [x, constI('cls_index', [0], [])], [{ name: 'axis', i: 1, type: ATTR.INT }]), `${prefix}pooler.dense.weight`, `${prefix}pooler.dense.bias`)]));
  const graph: OnnxGraph = {
    hidden: x, pooler, linear, layerNorm, gelu, param, one, node, constI, dim, prefix,
    int: (name, i) => ({ name, i, type: ATTR.INT }),
    ints: (name, ints) => ({ name, ints, type: ATTR.INTS }),
  };
  const finals: [string, string][] = model.head ? model.head.onnx(graph) : [[x, 'last_hidden_state'], [pooler(), 'pooler_output']];
  for (const [from, to] of finals) nodes.push({ op_type: 'Identity', input: [from], output: [to], name: `out_${to}`, attribute: [] });

  const dims = (names: (string | number)[]) => ({ dim: names.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) });
  const value = (name: string, elem: number, shape: (string | number)[]) => ({ name, type: { tensor_type: { elem_type: elem, shape: dims(shape) } } });
  const M = schema.lookupType('onnx.ModelProto');
  const msg = {
    ir_version: 8, producer_name: 'bert-cli', producer_version: '0.1.0', opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: arch, node: nodes, initializer: inits,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((nm) => value(nm, INT64, choice ? ['batch_size', 'num_choices', 'sequence_length'] : ['batch_size', 'sequence_length'])),
      output: outputs.map((o) => value(o.name, FLOAT, o.shape)),
    },
  };
  const err = M.verify(msg);
  if (err) throw new BertError(`ONNX graph: ${err}`);
  return M.encode(M.fromObject(msg)).finish();
}
