// RMSNorm (Llama): y = x / sqrt(mean(x²) + eps) ⊙ w, over the last axis. SIMD rows, split over the cores
// when large.

/// x: [.., D], weight: [D] → [.., D].
public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor {
    let d = x.size(-1), rows = x.count / max(d, 1)
    precondition(weight.shape == [d], "rmsNorm: weight \(weight.shape) does not fit input \(x.shape)")
    let out = Tensor.empty(x.shape)
    let rstd = Tensor.empty([rows])  // saved 1/sqrt(mean(x²)+eps) per row
    let xp = x.data, w = weight.data, y = out.data, r = rstd.data
    let minimumRows = max(1, elementwiseParallelMinimum / max(d, 1))
    parallelChunks(count: rows, minimumPerWorker: minimumRows, alignment: 1) { range in
        for row in range {
            let xr = xp + row * d, yr = y + row * d
            let ss = Kernel.dot(xr, xr, d)
            let inv = 1 / (ss / Float(d) + eps).squareRoot()
            r[row] = inv
            let iv = KVec(repeating: inv)
            var i = 0
            while i + kVecWidth <= d { kStore(kLoad(xr + i) * iv * kLoad(w + i), yr + i); i += kVecWidth }
            while i < d { yr[i] = xr[i] * inv * w[i]; i += 1 }
        }
    }
    return out.recordOp(inputs: [x, weight]) { g in
        let r = rstd.data  // keeps the saved statistics alive with the closure
        let gp = g.data
        if weight.requiresGrad {
            weight.accumulateGrad { dw in
                for row in 0..<rows {
                    let xr = xp + row * d, gr = gp + row * d, iv = KVec(repeating: r[row])
                    var i = 0
                    while i + kVecWidth <= d {
                        kStore(kLoad(dw + i).addingProduct(kLoad(gr + i) * kLoad(xr + i), iv), dw + i); i += kVecWidth
                    }
                    while i < d { dw[i] += gr[i] * xr[i] * r[row]; i += 1 }
                }
            }
        }
        if x.requiresGrad {
            // dx = inv · (g⊙w − x̂ · mean(g⊙w⊙x̂)), x̂ = x · inv
            x.accumulateGradOrStore { dx, fresh in
                parallelChunks(count: rows, minimumPerWorker: minimumRows, alignment: 1) { range in
                    for row in range {
                        let xr = xp + row * d, gr = gp + row * d, dr = dx + row * d, inv = r[row]
                        var acc = KVec()
                        var i = 0
                        while i + kVecWidth <= d {
                            acc = acc.addingProduct(kLoad(gr + i) * kLoad(w + i), kLoad(xr + i)); i += kVecWidth
                        }
                        var dot = sumLanes(acc)
                        while i < d { dot += gr[i] * w[i] * xr[i]; i += 1 }
                        let c = dot * inv * inv / Float(d)
                        let iv = KVec(repeating: inv), cv = KVec(repeating: -c)
                        i = 0
                        while i + kVecWidth <= d {
                            let t = (kLoad(gr + i) * kLoad(w + i)).addingProduct(kLoad(xr + i), cv)
                            kStore((fresh ? KVec() : kLoad(dr + i)).addingProduct(iv, t), dr + i); i += kVecWidth
                        }
                        while i < d { dr[i] = (fresh ? 0 : dr[i]) + inv * (gr[i] * w[i] - xr[i] * c); i += 1 }
                    }
                }
            }
        }
    }
}
