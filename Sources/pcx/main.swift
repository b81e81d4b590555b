import PCXHost

print("pcx \(pcxVersion)")
