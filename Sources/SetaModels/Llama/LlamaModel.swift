// The Llama family (Llama, SmolLM2, Qwen2): pre-norm decoder blocks of grouped-query attention with RoPE and a
// SwiGLU MLP. One forward serves training (autodiff through adapters) and inference (with a KV cache).
// Reads bottom-up: attention → MLP → block → model.
import SetaTensor

public final class LlamaAttention {
    public let q, k, v, o: Linear
    let heads, kvHeads, headDim: Int

    init(q: Linear, k: Linear, v: Linear, o: Linear, config: LlamaConfig) {
        self.q = q; self.k = k; self.v = v; self.o = o
        heads = config.headCount; kvHeads = config.kvHeadCount; headDim = config.headDim
    }

    /// x: [B·T, D] → [B·T, D]. Writes this step's keys/values into `cache` when given.
    func callAsFunction(_ x: Tensor, batch: Int, length: Int, rotary: RotaryTable, cache: KVCache.Layer?,
                        keyStart: [Int]?) -> Tensor {
        var queries = reshape(q(x), [batch, length, heads, headDim])       // (B, T, H, Dh)
        var keys = reshape(k(x), [batch, length, kvHeads, headDim])        // (B, T, G, Dh)
        var values = reshape(v(x), [batch, length, kvHeads, headDim])      // (B, T, G, Dh)
        queries = rope(queries, table: rotary)
        keys = rope(keys, table: rotary)
        var keyCount: Int? = nil
        if let cache { (keys, values, keyCount) = cache.append(keys: keys, values: values) }  // (B, C, G, Dh), S used
        let attended = causalAttention(queries, keys, values, keyStart: keyStart, keyCount: keyCount)  // (B, T, H, Dh)
        return o(reshape(attended, [batch * length, heads * headDim]))
    }
}

public final class LlamaMLP {
    public let gate, up, down: Linear
    init(gate: Linear, up: Linear, down: Linear) { self.gate = gate; self.up = up; self.down = down }
    /// x: [N, D] → [N, D].
    func callAsFunction(_ x: Tensor) -> Tensor { down(swiglu(gate(x), up(x))) }
}

public final class LlamaBlock {
    public let attention: LlamaAttention
    public let mlp: LlamaMLP
    public let attentionNorm: Tensor, mlpNorm: Tensor   // [D]
    let eps: Float

    init(attention: LlamaAttention, mlp: LlamaMLP, attentionNorm: Tensor, mlpNorm: Tensor, eps: Float) {
        self.attention = attention; self.mlp = mlp; self.attentionNorm = attentionNorm; self.mlpNorm = mlpNorm
        self.eps = eps
    }

    /// x: [B·T, D] → [B·T, D] (pre-norm residual block).
    func callAsFunction(_ x: Tensor, batch: Int, length: Int, rotary: RotaryTable, cache: KVCache.Layer?,
                        keyStart: [Int]?) -> Tensor {
        let h = add(x, attention(rmsNorm(x, weight: attentionNorm, eps: eps), batch: batch, length: length,
                                 rotary: rotary, cache: cache, keyStart: keyStart))
        return add(h, mlp(rmsNorm(h, weight: mlpNorm, eps: eps)))
    }
}

public final class LlamaModel {
    public let config: LlamaConfig
    public let embeddings: Tensor      // [V, D]
    public let blocks: [LlamaBlock]
    public let finalNorm: Tensor       // [D]
    public let lmHead: Tensor          // [V, D]; the embedding table itself when tied
    /// The LM head in bf16 (after `useBF16Weights()`); the float32 table stays for the embedding lookup.
    public private(set) var lmHeadBF16: FrozenBF16Weight?

    public init(config: LlamaConfig, embeddings: Tensor, blocks: [LlamaBlock], finalNorm: Tensor, lmHead: Tensor?) {
        self.config = config; self.embeddings = embeddings; self.blocks = blocks; self.finalNorm = finalNorm
        self.lmHead = lmHead ?? embeddings
    }

    /// Final-normed hidden states. ids: B rows of T tokens, flattened row-major → [B·T, D].
    /// With a cache, the tokens continue the cached sequence (positions cache.length ..< cache.length + T).
    /// `leftPadding[b]` = number of padding tokens at the start of row b (masked out as keys; RoPE is relative,
    /// so the shifted positions of the real tokens do not change their attention).
    public func hiddenStates(ids: [Int], batch: Int, cache: KVCache? = nil, leftPadding: [Int]? = nil) -> Tensor {
        precondition(batch > 0 && ids.count % batch == 0,
                     "hiddenStates: \(ids.count) ids do not split into \(batch) rows")
        let length = ids.count / batch, start = cache?.length ?? 0
        let rotary = RotaryTable(headDim: config.headDim, base: config.ropeTheta, start: start, count: length)
        var x = embedding(ids, table: embeddings)                          // (B·T, D)
        for (i, block) in blocks.enumerated() {
            x = block(x, batch: batch, length: length, rotary: rotary, cache: cache?.layers[i], keyStart: leftPadding)
        }
        cache?.length += length
        return rmsNorm(x, weight: finalNorm, eps: config.rmsNormEps)
    }

    /// Logits of the given rows of hidden states [N, D] (all rows when nil) → [rows, V]. The LM head runs only
    /// where it is needed (positions with loss, or the last position when generating).
    public func logits(hidden: Tensor, rows: [Int]? = nil) -> Tensor {
        let selected = rows.map { embedding($0, table: hidden) } ?? hidden
        if let lmHeadBF16 { return linear(selected, lmHeadBF16) }
        return linear(selected, lmHead)
    }

    /// Stores every projection and the LM head in bf16 (AVX-512 BF16 products with float32 accumulation): about
    /// 2× the training and prompt throughput, and half the bytes a generation step reads. The float32 copies of
    /// the projections are released; the embedding table stays float32. False, and nothing changes, on a CPU
    /// without AVX-512 BF16 (float32 is then what runs).
    @discardableResult
    public func useBF16Weights() -> Bool {
        guard BFloat16.isSupported else { return false }
        for b in blocks {
            for l in [b.attention.q, b.attention.k, b.attention.v, b.attention.o, b.mlp.gate, b.mlp.up, b.mlp.down] {
                l.useBF16()
            }
        }
        if lmHeadBF16 == nil && !lmHead.requiresGrad { lmHeadBF16 = FrozenBF16Weight(lmHead) }
        return true
    }

    /// True once `useBF16Weights()` took effect.
    public var usesBF16Weights: Bool { lmHeadBF16 != nil || blocks.first?.attention.q.bf16Weight != nil }

    /// Mean next-token cross-entropy. ids, targets: B rows of T (flattened); targets of `ignoreIndex` carry no
    /// loss and skip the LM head.
    public func loss(ids: [Int], targets: [Int], batch: Int) -> Tensor {
        precondition(targets.count == ids.count, "loss: \(targets.count) targets for \(ids.count) ids")
        let hidden = hiddenStates(ids: ids, batch: batch)
        let rows = targets.indices.filter { targets[$0] != ignoreIndex }
        return crossEntropy(logits(hidden: hidden, rows: rows), targets: rows.map { targets[$0] })
    }

    /// Every tensor of the model by its Hugging Face name.
    public var namedWeights: [(String, Tensor)] {
        var out: [(String, Tensor)] = [("model.embed_tokens.weight", embeddings)]
        for (i, b) in blocks.enumerated() {
            let p = "model.layers.\(i)."
            let linears: [(String, Linear)] = [("self_attn.q_proj", b.attention.q), ("self_attn.k_proj", b.attention.k),
                ("self_attn.v_proj", b.attention.v), ("self_attn.o_proj", b.attention.o), ("mlp.gate_proj", b.mlp.gate),
                ("mlp.up_proj", b.mlp.up), ("mlp.down_proj", b.mlp.down)]
            for (n, l) in linears {
                out.append((p + n + ".weight", l.weight))
                if let bias = l.bias { out.append((p + n + ".bias", bias)) }
            }
            out.append((p + "input_layernorm.weight", b.attentionNorm))
            out.append((p + "post_attention_layernorm.weight", b.mlpNorm))
        }
        out.append(("model.norm.weight", finalNorm))
        if lmHead !== embeddings { out.append(("lm_head.weight", lmHead)) }
        return out
    }
}

/// Keys and values of earlier positions, per layer, for incremental decoding. Layout per layer: [B, capacity, G, Dh].
public final class KVCache {
    public final class Layer {
        private(set) var keys: Tensor, values: Tensor
        private(set) var batch: Int
        let capacity: Int, rowSize: Int
        unowned let owner: KVCache
        init(batch: Int, capacity: Int, kvHeads: Int, headDim: Int, owner: KVCache) {
            self.batch = batch; self.capacity = capacity; rowSize = kvHeads * headDim; self.owner = owner
            keys = Tensor.empty([batch, capacity, kvHeads, headDim])
            values = Tensor.empty([batch, capacity, kvHeads, headDim])
        }

        /// Appends [B, T, G, Dh] keys/values after the cached positions; returns the whole [B, C, G, Dh] buffers
        /// and S, the positions filled in each row (attention reads them in place: no copy per step).
        func append(keys k: Tensor, values v: Tensor) -> (Tensor, Tensor, Int) {
            let t = k.size(1), start = owner.length, s = start + t
            precondition(s <= capacity, "KV cache full: \(s) positions > capacity \(capacity)")
            for b in 0..<batch {
                (keys.data + (b * capacity + start) * rowSize).update(from: k.data + b * t * rowSize,
                                                                      count: t * rowSize)
                (values.data + (b * capacity + start) * rowSize).update(from: v.data + b * t * rowSize,
                                                                        count: t * rowSize)
            }
            return (keys, values, s)
        }

        /// Keeps batch rows `rows` (increasing), moved to the front in that order.
        func keep(_ rows: [Int], filled: Int) {
            for (i, r) in rows.enumerated() where i != r {
                (keys.data + i * capacity * rowSize).update(from: keys.data + r * capacity * rowSize,
                                                            count: filled * rowSize)
                (values.data + i * capacity * rowSize).update(from: values.data + r * capacity * rowSize,
                                                              count: filled * rowSize)
            }
            batch = rows.count
            keys = Tensor(shape: [batch] + keys.shape.dropFirst(), storage: keys.storage)
            values = Tensor(shape: [batch] + values.shape.dropFirst(), storage: values.storage)
        }
    }

    public internal(set) var length = 0
    public private(set) var layers: [Layer] = []
    public let capacity: Int

    /// Keeps only batch rows `rows` (increasing indices), in that order: rows that finished decoding stop costing
    /// compute. Later calls index the remaining rows 0..<rows.count.
    public func keepRows(_ rows: [Int]) {
        precondition(!rows.isEmpty && zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 }
                         && rows.last! < (layers.first?.batch ?? 0),
                     "keepRows: \(rows) is not an increasing list of rows of the batch")
        for layer in layers { layer.keep(rows, filled: length) }
    }

    public init(config: LlamaConfig, batch: Int, capacity: Int) {
        self.capacity = capacity
        layers = (0..<config.layerCount).map { _ in
            Layer(batch: batch, capacity: capacity, kvHeads: config.kvHeadCount, headDim: config.headDim, owner: self)
        }
    }
}
