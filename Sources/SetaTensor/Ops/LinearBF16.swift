// Frozen weights in bfloat16: y = x · Wᵀ with W packed once as bf16 pairs and multiplied with the CPU's AVX-512
// BF16 dot product (vdpbf16ps, float32 accumulation) — twice the float32 FMA rate on this machine, and half the
// weight bytes a memory-bound generation step reads. The inputs of each product are rounded to bf16 (as PyTorch's
// bf16 autocast does). Float32 stays the default and the reference the parity tests check; this path is checked
// against it (BF16Tests), and a CPU without AVX-512 BF16 keeps float32 (BFloat16.isSupported is false there).
import CBF16
import Foundation

public enum BFloat16 {
    /// This CPU runs the AVX-512 BF16 kernel (and SETA_BF16_FALLBACK is not set, nor `forceFallback`).
    public static var isSupported: Bool { !forceFallback && cpuSupport }
    /// The CPU has AVX-512 BF16 and SETA_BF16_FALLBACK is not set (whatever `forceFallback` says).
    public static let cpuSupport = seta_bf16_supported() != 0
    /// Makes `isSupported` false, as on a CPU without AVX-512 BF16 (tests of the fallback).
    nonisolated(unsafe) public static var forceFallback = false

    /// x rounded to bf16 (nearest even), as Float: the value a bf16 weight or input holds.
    public static func rounded(_ x: Float) -> Float {
        let u = x.bitPattern
        return Float(bitPattern: (u &+ 0x7FFF &+ ((u >> 16) & 1)) & 0xFFFF_0000)
    }
}

/// A matrix B [rows, cols] (rows = outputs, cols = the inner dimension) packed for the bf16 kernel: panels of 32
/// rows, each column pair of a panel 32 × (bf16, bf16). Immutable once made.
public final class PackedBF16: @unchecked Sendable {
    public let rows: Int, cols: Int
    let pointer: UnsafeMutablePointer<UInt16>
    private let count: Int

    var panels: Int { (rows + 31) / 32 }

    /// Packs B[r][c] = source[r · rowStride + c · colStride], rounded to nearest even.
    init(_ source: UnsafePointer<Float>, rows: Int, cols: Int, rowStride: Int, colStride: Int) {
        self.rows = rows; self.cols = cols
        count = seta_bf16_packed_count(Int32(rows), Int32(cols))
        pointer = UnsafeMutableRawPointer(aligned_alloc(64, max(count, 32) * 2)!)
            .bindMemory(to: UInt16.self, capacity: count)
        let (ptr, r, c) = (pointer, rows, cols)
        parallelChunks(count: panels, minimumPerWorker: 64, alignment: 1) { range in
            seta_bf16_pack(source, Int32(r), Int32(c), rowStride, colStride, ptr,
                           Int32(range.lowerBound), Int32(range.upperBound))
        }
    }

    deinit { free(pointer) }

    /// Bytes of the packed form.
    public var byteCount: Int { count * 2 }

    /// B as float32 [rows, cols] (the bf16 values, exactly).
    public func unpacked() -> Tensor {
        let t = Tensor.empty([rows, cols])
        seta_bf16_unpack(pointer, Int32(rows), Int32(cols), t.data)
        return t
    }

    /// y[i] (= or +=) B · x[i] for the m rows of x [m, cols] (row strides ldx, ldy), on all cores when large.
    func multiply(_ x: UnsafePointer<Float>, rows m: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                  accumulate: Bool) {
        guard m > 0 else { return }
        let pairs = (cols + 1) / 2, k = cols, n = rows
        let xb = UnsafeMutablePointer<UInt32>.allocate(capacity: m * pairs)
        defer { xb.deallocate() }
        parallelChunks(count: m, minimumPerWorker: max(1, 1 << 20 / max(k, 1)), alignment: 1) { range in
            seta_bf16_convert_rows(x + range.lowerBound * ldx, Int32(range.count), Int32(k), ldx,
                                   xb + range.lowerBound * pairs)
        }
        // ~100 µs per worker: a panel costs its FLOPs at ~200 GFLOPS plus reading its weights at ~15 GB/s.
        let panelSeconds = Double(64 * m * k) / 200e9 + Double(64 * k) / 15e9
        let perWorker = max(1, Int((100e-6 / panelSeconds).rounded(.up)))
        let (packed, acc) = (pointer, Int32(accumulate ? 1 : 0))
        parallelChunks(count: panels, minimumPerWorker: perWorker, alignment: 1) { range in
            seta_bf16_gemm(Int32(m), Int32(n), Int32(k), xb, packed, y, ldy, acc,
                           Int32(range.lowerBound), Int32(range.upperBound))
        }
    }
}

/// A frozen weight W [out, in] (PyTorch layout) in bf16: packed for y = x · Wᵀ, and — made on the first backward
/// that needs it — packed transposed for the input gradient dx = dy · W.
public final class FrozenBF16Weight: @unchecked Sendable {
    public let forward: PackedBF16
    private var transposedPack: PackedBF16?
    private let lock = NSLock()

    public init(_ weight: Tensor) {
        precondition(weight.rank == 2, "FrozenBF16Weight: weight must be [out, in], got \(weight.shape)")
        forward = PackedBF16(weight.data, rows: weight.size(0), cols: weight.size(1), rowStride: weight.size(1),
                             colStride: 1)
    }

    public var outFeatures: Int { forward.rows }
    public var inFeatures: Int { forward.cols }

    /// Wᵀ packed: rows = in, cols = out (from the bf16 values, so both directions use the same numbers).
    var transposed: PackedBF16 {
        lock.lock(); defer { lock.unlock() }
        if let transposedPack { return transposedPack }
        let w = forward.unpacked()
        let t = PackedBF16(w.data, rows: inFeatures, cols: outFeatures, rowStride: 1, colStride: inFeatures)
        transposedPack = t
        return t
    }

    /// Bytes held now (the transposed pack once made).
    public var byteCount: Int { forward.byteCount + (transposedPack?.byteCount ?? 0) }

    /// W as float32 [out, in] (its bf16 values).
    public func unpacked() -> Tensor { forward.unpacked() }
}

/// y = x · Wᵀ + b with W frozen in bf16. x: […, in] → y: […, out]. x gets its gradient (dx = dy · W, in bf16
/// products too); W has none (frozen).
public func linear(_ x: Tensor, _ weight: FrozenBF16Weight, bias: Tensor? = nil) -> Tensor {
    let k = weight.inFeatures, n = weight.outFeatures
    precondition(x.rank >= 1 && x.size(-1) == k, "linear (bf16): input \(x.shape) does not fit weight [\(n), \(k)]")
    let m = x.count / k
    let out = Tensor.empty(Array(x.shape.dropLast()) + [n])
    weight.forward.multiply(x.data, rows: m, ldx: k, into: out.data, ldy: n, accumulate: false)
    let y = out.recordOp(inputs: [x]) { dY in
        let packed = weight.transposed
        x.accumulateGradOrStore { dX, fresh in
            packed.multiply(dY.data, rows: m, ldx: n, into: dX, ldy: k, accumulate: !fresh)
        }
    }
    guard let bias else { return y }
    return add(y, bias)
}
