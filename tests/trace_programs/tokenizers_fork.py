"""tokenizers' encode_batch starts its rayon pool; then the process forks a child that exits."""
import os

from tokenizers import Tokenizer, models, pre_tokenizers

vocab = {w: i for i, w in enumerate(["[UNK]", "fork", "safe", "child", "parent"])}
tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.Whitespace()
tok.encode_batch(["fork safe child parent " * 20] * 2000)  # POOL
pid = os.fork()  # FORK
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
