import SetaTensor
print("microbench")
