# Writes the hostile pickles of core/src/test/resources/org/densenet4j/torch/hostile/ (HostilePickleFilesTest), found by a
# review of the TorchScript and .pth readers: shared lists that a walk visits 2^60 times, self-containing lists, None
# where numbers belong, text numbers that parse in quadratic time, flipped weights under a stale zip checksum.
# Usage: scripts/hostile_pickles.py  (run from the repository root; rewrites the files in place). cyc.* (a list
# that contains itself, as a type tag or persistent id) and flip.pt (sign bits flipped in three storages) were made
# by hand in the same review.
import zipfile, struct, os, sys, zlib
G=os.path.abspath('core/src/test/resources/org/densenet4j/script/golden/v1-1-fp32.pt')
os.chdir('core/src/test/resources/org/densenet4j/torch/hostile')
src=zipfile.ZipFile(G)
names=src.namelist()
def rebuild(out, replace=None, extra=None, method=zipfile.ZIP_STORED, skip=()):
    replace=replace or {}
    with zipfile.ZipFile(out,'w',method) as z:
        for n in names:
            if n in skip: continue
            z.writestr(n, replace.get(n, src.read(n)))
        for n,d in (extra or {}).items(): z.writestr(n,d)
root='densenet4j/'
# 1. billion laughs, depth 60 fanout 2
p=b'\x80\x02]q\x00'
for i in range(60):
    p+=b'](h\x00h\x00eq\x00'
p+=b'.'
rebuild('laughs.pt',{root+'data.pkl':p})
# same as a plain torch.save .pth
with zipfile.ZipFile('laughs.pth','w') as z:
    z.writestr('archive/data.pkl',p); z.writestr('archive/version','3\n')
# 2. NPE: BINPERSID on None
rebuild('npe.pt',{root+'data.pkl':b'\x80\x02NQ.'})
with zipfile.ZipFile('npe.pth','w') as z:
    z.writestr('archive/data.pkl',b'\x80\x02NQ.'); z.writestr('archive/version','3\n')
# 2b. rebuild_tensor_v2 with None offset
p=(b'\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQN)))tR.')
with zipfile.ZipFile('npe2.pth','w') as z:
    z.writestr('archive/data.pkl',p); z.writestr('archive/data/0',b'\0'*4); z.writestr('archive/version','3\n')
# 3. huge LONG text
for n in (100000,):
    with zipfile.ZipFile(f'long{n}.pth','w') as z:
        z.writestr('archive/data.pkl',b'\x80\x02L'+b'7'*n+b'L\n.'); z.writestr('archive/version','3\n')
