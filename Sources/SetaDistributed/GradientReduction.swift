// The gradient all-reduce of a data-parallel step: the trainable tensors' gradients (each rank's share of the
// batch's loss) become their sum over ranks — the gradient of the whole batch — on every rank, before clipping
// and the optimiser. Buckets: the gradients are packed into flat float32 buffers of at most `bucketElements` and
// each bucket is one MPI_Allreduce (few large messages instead of one per tensor). Overlapping the all-reduce with
// the backward pass does not pay here: the adapters' gradients are ~2 MB and their all-reduce < 1% of a step
// (BENCHMARKS.md), so the buckets go after the backward pass.
import Foundation
import SetaTensor

public struct GradientReduction {
    public var bucketElements = 1 << 22          // 16 MB of float32 per MPI_Allreduce
    public init() {}

    /// Sums the gradients of `parameters` over all ranks, in place. A tensor without a gradient on some rank (its
    /// shard did not reach it) counts as zeros there; it keeps no gradient only when it has none on every rank
    /// (as in one process). `scalars` (e.g. the rank's part of the loss) are summed along, in float64.
    public func allReduce(_ parameters: [Tensor], scalars: [Double] = [], over communicator: Communicator) -> [Double] {
        guard communicator.size > 1 else { return scalars }
        // Which tensors have a gradient anywhere, and the scalars: one small float64 all-reduce.
        let header = communicator.allReduceSum(parameters.map { $0.grad == nil ? 0 : 1 } + scalars)
        let reduced = parameters.indices.filter { header[$0] > 0 }.map { parameters[$0] }
        var bucket: [Tensor] = [], filled = 0
        func flush() {
            guard !bucket.isEmpty else { return }
            var flat = [Float](repeating: 0, count: filled)
            var at = 0
            for p in bucket {
                if let g = p.grad {
                    flat.withUnsafeMutableBufferPointer { _ = memcpy($0.baseAddress! + at, g.data, g.count * 4) }
                }
                at += p.count
            }
            flat.withUnsafeMutableBufferPointer { communicator.allReduceSum($0) }
            at = 0
            for p in bucket {
                let g = p.gradientForReduction()
                flat.withUnsafeBufferPointer { _ = memcpy(g.data, $0.baseAddress! + at, g.count * 4) }
                at += p.count
            }
            bucket = []; filled = 0
        }
        for p in reduced {
            if filled + p.count > bucketElements { flush() }
            bucket.append(p); filled += p.count
        }
        flush()
        return Array(header[parameters.count...])
    }

    /// Sums the values of `tensors` over all ranks, in place (e.g. each rank's share of a Fisher diagonal).
    public func allReduceValues(_ tensors: [Tensor], over communicator: Communicator) {
        guard communicator.size > 1 else { return }
        var start = 0
        while start < tensors.count {
            var end = start, filled = 0
            while end < tensors.count, filled == 0 || filled + tensors[end].count <= bucketElements {
                filled += tensors[end].count; end += 1
            }
            var flat = [Float](repeating: 0, count: filled)
            var at = 0
            for t in tensors[start..<end] {
                flat.withUnsafeMutableBufferPointer { _ = memcpy($0.baseAddress! + at, t.data, t.count * 4) }
                at += t.count
            }
            flat.withUnsafeMutableBufferPointer { communicator.allReduceSum($0) }
            at = 0
            for t in tensors[start..<end] {
                flat.withUnsafeBufferPointer { _ = memcpy(t.data, $0.baseAddress! + at, t.count * 4) }
                at += t.count
            }
            start = end
        }
    }
}
