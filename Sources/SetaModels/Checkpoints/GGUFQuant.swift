// Dequantisation of ggml tensor data to float32 (block layouts as in ggml-common.h):
//   F32, F16, BF16  — one element per 4 / 2 / 2 bytes.
//   Q8_0 (34 B / 32): f16 d, 32 × int8 q            → q·d
//   Q4_0 (18 B / 32): f16 d, 16 bytes of nibbles    → (nibble − 8)·d;
//                     low nibbles are elements 0…15, high 16…31
//   Q4_1 (20 B / 32): f16 d, f16 m, 16 bytes        → nibble·d + m
//   Q5_0 (22 B / 32): f16 d, u32 qh, 16 bytes       → (nibble | bit·16 − 16)·d   (qh bit j: element j)
//   Q5_1 (24 B / 32): f16 d, f16 m, u32 qh, 16 B    → (nibble | bit·16)·d + m
//   Q4_K (144 B / 256): f16 d, f16 dmin, 12 B of 6-bit (scale, min) × 8, 128 B nibbles
//                       → d·sc·q − dmin·m per 32-element sub-block (low nibbles first, then high, per 64)
//   Q5_K (176 B / 256): as Q4_K plus 32 B of high bits (qh)
//   Q6_K (210 B / 256): 128 B low nibbles, 64 B 2-bit highs, 16 × int8 scales, f16 d → d·sc·(q − 32)
// Large tensors are split into chunks of whole blocks and converted on all cores.
import Foundation

/// Float16 bits → Float. Uses the hardware conversion (F16C on x86-64-v3, native on arm64).
@inline(__always) func halfToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

/// BFloat16 bits → Float: the bits are the high half of a float32.
@inline(__always) func bfloat16ToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

enum GGUFQuant {
    /// Converts `count` elements of `type` at `src` into `dst`. The caller has checked that `src` holds the
    /// whole tensor and that `count` is a multiple of the block size.
    static func dequantize(_ type: GGMLType, from src: UnsafeRawPointer, to dst: UnsafeMutablePointer<Float>,
                           count: Int) {
        guard let (perBlock, blockBytes) = type.blockLayout, count > 0 else { return }
        let blocks = count / perBlock
        // ~256K elements per chunk: big enough to amortise dispatch, small enough to balance 2–16 cores.
        let blocksPerChunk = max(1, (1 << 18) / perBlock)
        let chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk
        if chunks <= 1 {
            convert(type, src, dst, blocks: blocks)
        } else {
            let srcBits = UInt(bitPattern: src), dstBits = UInt(bitPattern: dst)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let b0 = chunk * blocksPerChunk, b1 = min(blocks, b0 + blocksPerChunk)
                convert(type, UnsafeRawPointer(bitPattern: srcBits)! + b0 * blockBytes,
                        UnsafeMutablePointer<Float>(bitPattern: dstBits)! + b0 * perBlock, blocks: b1 - b0)
            }
        }
    }

    /// Converts `blocks` whole blocks.
    private static func convert(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>,
                                blocks: Int) {
        switch type {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: blocks * 4)
        case .f16:
            for i in 0 ..< blocks {
                dst[i] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .bf16:
            for i in 0 ..< blocks {
                dst[i] = bfloat16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .q8_0:
            for b in 0 ..< blocks {
                let block = src + b * 34, out = dst + b * 32
                let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
                let qs = (block + 2).assumingMemoryBound(to: Int8.self)
                for k in 0 ..< 32 { out[k] = Float(qs[k]) * d }
            }
        case .q4_0:
            for b in 0 ..< blocks {
                let block = src + b * 18, out = dst + b * 32
                let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
                let qs = (block + 2).assumingMemoryBound(to: UInt8.self)
                for k in 0 ..< 16 {
                    let q = qs[k]
                    out[k] = Float(Int32(q & 0x0F) - 8) * d
                    out[k + 16] = Float(Int32(q >> 4) - 8) * d
                }
            }
        case .q4_1:
            for b in 0 ..< blocks {
                let block = src + b * 20, out = dst + b * 32
                let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
                let m = halfToFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                let qs = (block + 4).assumingMemoryBound(to: UInt8.self)
                for k in 0 ..< 16 {
                    let q = qs[k]
                    out[k] = Float(q & 0x0F) * d + m
                    out[k + 16] = Float(q >> 4) * d + m
                }
            }
        case .q5_0, .q5_1:
            let hasMin = type == .q5_1, size = hasMin ? 24 : 22, qhAt = hasMin ? 4 : 2
            for b in 0 ..< blocks {
                let block = src + b * size, out = dst + b * 32
                let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
                let m = hasMin ? halfToFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) : 0
                let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: qhAt, as: UInt32.self))
                let qs = (block + qhAt + 4).assumingMemoryBound(to: UInt8.self)
                for j in 0 ..< 16 {
                    let h0 = Int32(((qh >> UInt32(j)) << 4) & 0x10), h1 = Int32((qh >> UInt32(j + 12)) & 0x10)
                    let x0 = Int32(qs[j] & 0x0F) | h0, x1 = Int32(qs[j] >> 4) | h1
                    if hasMin {
                        out[j] = Float(x0) * d + m
                        out[j + 16] = Float(x1) * d + m
                    } else {
                        out[j] = Float(x0 - 16) * d
                        out[j + 16] = Float(x1 - 16) * d
                    }
                }
            }
        case .q4_K, .q5_K:
            let five = type == .q5_K, size = five ? 176 : 144
            for b in 0 ..< blocks {
                let block = src + b * size, out = dst + b * 256
                let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
                let dmin = halfToFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                let scales = (block + 4).assumingMemoryBound(to: UInt8.self)
                let qh = (block + 16).assumingMemoryBound(to: UInt8.self)  // Q5_K only
                let qs = (block + (five ? 48 : 16)).assumingMemoryBound(to: UInt8.self)
                for g in 0 ..< 4 {  // 64 elements: sub-blocks 2g (low nibbles) and 2g + 1 (high nibbles)
                    let (sc0, m0) = scaleMinK4(2 * g, scales), (sc1, m1) = scaleMinK4(2 * g + 1, scales)
                    let d0 = d * Float(sc0), dm0 = dmin * Float(m0), d1 = d * Float(sc1), dm1 = dmin * Float(m1)
                    let q = qs + 32 * g, o = out + 64 * g
                    let u0 = UInt8(1) << (2 * g), u1 = UInt8(2) << (2 * g)
                    for l in 0 ..< 32 {
                        var lo = q[l] & 0x0F, hi = q[l] >> 4
                        if five {
                            if qh[l] & u0 != 0 { lo += 16 }
                            if qh[l] & u1 != 0 { hi += 16 }
                        }
                        o[l] = d0 * Float(lo) - dm0
                        o[l + 32] = d1 * Float(hi) - dm1
                    }
                }
            }
        case .q6_K:
            for b in 0 ..< blocks {
                let block = src + b * 210, out = dst + b * 256
                let ql = block.assumingMemoryBound(to: UInt8.self)
                let qh = (block + 128).assumingMemoryBound(to: UInt8.self)
                let sc = (block + 192).assumingMemoryBound(to: Int8.self)
                let d = halfToFloat(block.loadUnaligned(fromByteOffset: 208, as: UInt16.self))
                for n in 0 ..< 2 {  // 128 elements each
                    let l0 = ql + 64 * n, h0 = qh + 32 * n, s0 = sc + 8 * n, o = out + 128 * n
                    for l in 0 ..< 32 {
                        let i = l / 16
                        let q1 = Int32((l0[l] & 0x0F) | ((h0[l] & 3) << 4)) - 32
                        let q2 = Int32((l0[l + 32] & 0x0F) | (((h0[l] >> 2) & 3) << 4)) - 32
                        let q3 = Int32((l0[l] >> 4) | (((h0[l] >> 4) & 3) << 4)) - 32
                        let q4 = Int32((l0[l + 32] >> 4) | (((h0[l] >> 6) & 3) << 4)) - 32
                        o[l] = d * Float(s0[i]) * Float(q1)
                        o[l + 32] = d * Float(s0[i + 2]) * Float(q2)
                        o[l + 64] = d * Float(s0[i + 4]) * Float(q3)
                        o[l + 96] = d * Float(s0[i + 6]) * Float(q4)
                    }
                }
            }
        default:
            preconditionFailure("GGUFQuant.convert called with unsupported type \(type)")
        }
    }
}

/// The 6-bit (scale, min) pair `j` (0…7) of a Q4_K / Q5_K block's 12 packed bytes.
@inline(__always) private func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
    if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
    return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
}
