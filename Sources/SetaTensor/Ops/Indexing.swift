// Indexing and layout ops: embedding gather (scatter-add backward), reshape, slice, concatenation,
// masked mean-pooling over time.

/// Rows of `table` [V, D] at `ids` → [ids.count, D]. Backward scatter-adds into the table's gradient.
public func embedding(_ ids: [Int], table: Tensor) -> Tensor {
    precondition(table.rank == 2, "embedding table must be [V, D], got \(table.shape)")
    let vocab = table.size(0), d = table.size(1)
    let out = Tensor.empty([ids.count, d])
    for (i, id) in ids.enumerated() {
        precondition(id >= 0 && id < vocab, "token id \(id) outside the vocabulary 0..<\(vocab)")
        (out.data + i * d).update(from: table.data + id * d, count: d)
    }
    return out.recordOp(inputs: [table]) { g in
        table.accumulateGrad { dt in
            for (i, id) in ids.enumerated() {
                Kernel.add(g.data + i * d, into: dt + id * d, d)
            }
        }
    }
}

/// The same elements with a new shape (a view: no copy). One dimension may be -1.
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor {
    var shape = shape
    if let i = shape.firstIndex(of: -1) {
        let known = shape.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
        shape[i] = known == 0 ? 0 : x.count / known
    }
    precondition(shape.reduce(1, *) == x.count, "reshape: \(x.shape) has \(x.count) elements, \(shape) does not")
    let out = Tensor(shape: shape, storage: x.storage, offset: x.offset)
    return out.recordOp(inputs: [x]) { g in x.accumulateGrad(from: g) }
}

/// Elements [range] of `axis`. A copy unless axis 0 (then a view).
public func slice(_ x: Tensor, axis: Int, _ range: Range<Int>) -> Tensor {
    let axis = axis < 0 ? x.rank + axis : axis
    precondition(axis >= 0 && axis < x.rank && range.lowerBound >= 0 && range.upperBound <= x.shape[axis],
                 "slice: range \(range) of axis \(axis) outside shape \(x.shape)")
    let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
    let n = x.shape[axis], len = range.count
    var shape = x.shape
    shape[axis] = len
    if axis == 0 {
        let out = Tensor(shape: shape, storage: x.storage, offset: x.offset + range.lowerBound * inner)
        return out.recordOp(inputs: [x]) { g in
            x.accumulateGrad { dx in
                Kernel.add(g.data, into: dx + range.lowerBound * inner, len * inner)
            }
        }
    }
    let out = Tensor.empty(shape)
    for o in 0..<outer {
        (out.data + o * len * inner).update(from: x.data + (o * n + range.lowerBound) * inner, count: len * inner)
    }
    return out.recordOp(inputs: [x]) { g in
        x.accumulateGrad { dx in
            for o in 0..<outer {
                Kernel.add(g.data + o * len * inner, into: dx + (o * n + range.lowerBound) * inner, len * inner)
            }
        }
    }
}

/// Concatenation along `axis`; all other dimensions must agree.
public func concat(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "concat of no tensors")
    let first = xs[0], axis = axis < 0 ? first.rank + axis : axis
    for x in xs {
        precondition(x.rank == first.rank && (0..<x.rank).allSatisfy { $0 == axis || x.shape[$0] == first.shape[$0] },
                     "concat: \(x.shape) does not fit \(first.shape) along axis \(axis)")
    }
    let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
    let sizes = xs.map { $0.shape[axis] }, total = sizes.reduce(0, +)
    var shape = first.shape
    shape[axis] = total
    let out = Tensor.empty(shape)
    var at = 0
    for (x, n) in zip(xs, sizes) {
        for o in 0..<outer {
            (out.data + (o * total + at) * inner).update(from: x.data + o * n * inner, count: n * inner)
        }
        at += n
    }
    return out.recordOp(inputs: xs) { g in
        var at = 0
        for (x, n) in zip(xs, sizes) {
            if x.requiresGrad {
                x.accumulateGrad { dx in
                    for o in 0..<outer {
                        Kernel.add(g.data + (o * total + at) * inner, into: dx + o * n * inner, n * inner)
                    }
                }
            }
            at += n
        }
    }
}

/// Mean over time of x: [B, T, C], counting position t of row b only where mask[b][t] is true → [B, C].
/// A row with no counted position pools to zeros.
public func meanPool(_ x: Tensor, mask: [[Bool]]) -> Tensor {
    precondition(x.rank == 3 && mask.count == x.size(0) && mask.allSatisfy { $0.count == x.size(1) },
                 "meanPool: mask of \(mask.count)×\(mask.first?.count ?? 0) does not fit \(x.shape)")
    let (b, t, c) = (x.size(0), x.size(1), x.size(2))
    let out = Tensor(zeros: [b, c])
    let weights = mask.map { row -> Float in let n = row.filter { $0 }.count; return n == 0 ? 0 : 1 / Float(n) }
    for bi in 0..<b {
        let dst = out.data + bi * c
        for ti in 0..<t where mask[bi][ti] {
            let src = x.data + (bi * t + ti) * c
            for j in 0..<c { dst[j] += src[j] * weights[bi] }
        }
    }
    return out.recordOp(inputs: [x]) { g in
        x.accumulateGrad { dx in
            for bi in 0..<b {
                let src = g.data + bi * c
                for ti in 0..<t where mask[bi][ti] {
                    let dst = dx + (bi * t + ti) * c
                    for j in 0..<c { dst[j] += src[j] * weights[bi] }
                }
            }
        }
    }
}
