"""Seed 002 (CVxTz/music_genre_classification), its own code in Keras: models.py (rnn_classifier,
transformer_classifier, custom_binary_crossentropy), transformer.py (the TensorFlow tutorial's
encoder), audio_processing.py (features, random_crop), prepare_data.py (DataGenerator, the genre
mapping), rnn_/trsf_genre_classification.py (training) and evaluate.py (test-time crops, AUC-PR).

Upstream ran tf.keras 2.0.1; this runs the same layers on the Keras of the tensorflow-cpu wheel
(Keras 3: same default initialisers — glorot-uniform kernels, orthogonal recurrent kernels, zero
biases —, GRU reset_after=True, Adam epsilon 1e-7). What this keeps from upstream:
- features: librosa.load at 16 kHz (mono), a 30-s window at a random offset (zero-padded at a
  random offset when shorter), melspectrogram(n_mels=128) (n_fft 2048, hop 512),
  (power_to_db(ref=max) + 40) / 40, time-major [frames, 128]. Upstream draws the offset once when it
  writes its .npy files; here it is drawn from the track id so the feature cache is reproducible.
- targets: `track.genres` of tracks.csv as titles over every genre of genres.csv in file order
  (mapping.json: 163 outputs whether or not a genre occurs), multi-hot.
- models: 2 × Bidirectional(GRU(128)) or the 4-layer encoder (d_model 128, 8 heads, dff 256,
  rate 0.3, x·√d + sinusoidal positions), each → Dropout(0.2) → GlobalAvgPool1D → Dense(4·C, selu)
  → Dense(C, sigmoid); loss custom_binary_crossentropy (positives ×4, summed over classes,
  averaged over the batch); Adam(1e-5).
- training: DataGenerator — shuffled each epoch, ⌊N / 32 / 10⌋ batches of 32 per epoch (a tenth of
  the set), one crop length randint(128, 256) per batch, random_crop start randint(0, len − crop) —
  for train and validation alike; 50 epochs; ModelCheckpoint(val_loss, save_best_only) and
  ReduceLROnPlateau(val_loss, patience 20, min_lr 1e-7); the best weights are evaluated.
- evaluation (evaluate.py): chunks of 128 tracks, one crop length randint(128, 256) per chunk,
  16 random crops averaged; per class with a positive, average_precision_score; their mean
  weighted by positives (the seed's "micro-average", sklearn's average='weighted'). Also reported:
  one crop (no TTA) and the true micro AP.
Departures, forced by the bench: the split comes from genre-lab's split file (train / val / test;
upstream validates and evaluates on one 20 % part); on a small set ⌊N / 32 / 10⌋ is 0, so an epoch
is at least one batch (of min(32, N) tracks).
"""
import csv
import ast
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Timer, features_by_track, parser, read_split, report  # noqa: E402

SR = 16000
INPUT_LENGTH = SR * 30
N_MELS = 128
EPOCHS, BATCH, LR = 50, 32, 1e-5


def pre_process_audio_mel_t(audio, sample_rate=SR):
    import librosa

    mel_spec = librosa.feature.melspectrogram(y=audio, sr=sample_rate, n_mels=N_MELS)
    mel_db = (librosa.power_to_db(mel_spec, ref=np.max) + 40) / 40
    return mel_db.T


def load_audio_file(file_path, rng, input_length=INPUT_LENGTH):
    import librosa

    try:
        data = librosa.load(file_path, sr=SR)[0]
    except ZeroDivisionError:
        data = np.zeros(0, dtype=np.float32)
    if len(data) > input_length:
        offset = rng.randint(len(data) - input_length)
        data = data[offset:(input_length + offset)]
    else:
        offset = rng.randint(input_length - len(data)) if input_length > len(data) else 0
        data = np.pad(data, (offset, input_length - len(data) - offset), "constant")
    return pre_process_audio_mel_t(data)


def random_crop(data, crop_size=128):
    start = np.random.randint(0, data.shape[0] - crop_size)
    return data[start:(start + crop_size), :]


def fma_metadata(track_path):
    """(genre titles per track id, mapping title → column) from the fma_metadata/ above `track_path`."""
    d = os.path.dirname(os.path.abspath(track_path))
    while not os.path.exists(os.path.join(d, "fma_metadata", "tracks.csv")):
        if os.path.dirname(d) == d:
            raise SystemExit(f"{track_path}: no fma_metadata/tracks.csv above it")
        d = os.path.dirname(d)
    meta = os.path.join(d, "fma_metadata")
    with open(os.path.join(meta, "genres.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    id_to_title = {int(r["genre_id"]): r["title"] for r in rows}
    mapping = {r["title"]: i for i, r in enumerate(rows)}
    with open(os.path.join(meta, "tracks.csv"), newline="") as f:
        reader = csv.reader(f)
        top, sub, _ = next(reader), next(reader), next(reader)
        col = next(i for i, (a, b) in enumerate(zip(top, sub)) if a == "track" and b == "genres")
        genres = {r[0]: [id_to_title[g] for g in ast.literal_eval(r[col] or "[]")] for r in reader}
    return genres, mapping


def labels_to_vector(labels, mapping):
    vec = [0] * len(mapping)
    for i in labels:
        vec[mapping[i]] = 1
    return vec


def custom_binary_crossentropy(y_true, y_pred):
    import tensorflow as tf
    from tensorflow import keras

    eps = keras.backend.epsilon()
    y_true = tf.cast(y_true, y_pred.dtype)
    output = tf.clip_by_value(y_pred, eps, 1.0 - eps)
    bce = 4 * y_true * tf.math.log(output + eps)
    bce += (1 - y_true) * tf.math.log(1 - output + eps)
    return tf.reduce_sum(-bce, axis=-1)


def transformer_layers():
    """transformer.py (the TensorFlow tutorial's encoder), unchanged but for Keras 3 keyword calls."""
    import tensorflow as tf
    from tensorflow import keras

    def positional_encoding(position, d_model):
        pos, i = np.arange(position)[:, np.newaxis], np.arange(d_model)[np.newaxis, :]
        angle_rads = pos * (1 / np.power(10000, (2 * (i // 2)) / np.float32(d_model)))
        angle_rads[:, 0::2] = np.sin(angle_rads[:, 0::2])
        angle_rads[:, 1::2] = np.cos(angle_rads[:, 1::2])
        return tf.cast(angle_rads[np.newaxis, ...], dtype=tf.float32)

    def scaled_dot_product_attention(q, k, v, mask):
        matmul_qk = tf.matmul(q, k, transpose_b=True)
        dk = tf.cast(tf.shape(k)[-1], tf.float32)
        logits = matmul_qk / tf.math.sqrt(dk)
        if mask is not None:
            logits += mask * -1e9
        weights = tf.nn.softmax(logits, axis=-1)
        return tf.matmul(weights, v), weights

    class MultiHeadAttention(keras.layers.Layer):
        def __init__(self, d_model, num_heads):
            super().__init__()
            self.num_heads, self.d_model = num_heads, d_model
            self.depth = d_model // num_heads
            self.wq, self.wk, self.wv = keras.layers.Dense(d_model), keras.layers.Dense(d_model), keras.layers.Dense(d_model)
            self.dense = keras.layers.Dense(d_model)

        def split_heads(self, x, batch_size):
            x = tf.reshape(x, (batch_size, -1, self.num_heads, self.depth))
            return tf.transpose(x, perm=[0, 2, 1, 3])

        def call(self, v, k, q, mask=None):
            batch_size = tf.shape(q)[0]
            q = self.split_heads(self.wq(q), batch_size)
            k = self.split_heads(self.wk(k), batch_size)
            v = self.split_heads(self.wv(v), batch_size)
            att, weights = scaled_dot_product_attention(q, k, v, mask)
            att = tf.transpose(att, perm=[0, 2, 1, 3])
            return self.dense(tf.reshape(att, (batch_size, -1, self.d_model))), weights

    class EncoderLayer(keras.layers.Layer):
        def __init__(self, d_model, num_heads, dff, rate=0.1):
            super().__init__()
            self.mha = MultiHeadAttention(d_model, num_heads)
            self.ffn = keras.Sequential([keras.layers.Dense(dff, activation="relu"), keras.layers.Dense(d_model)])
            self.layernorm1 = keras.layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = keras.layers.LayerNormalization(epsilon=1e-6)
            self.dropout1, self.dropout2 = keras.layers.Dropout(rate), keras.layers.Dropout(rate)

        def call(self, x, training=None, mask=None):
            attn_output, _ = self.mha(x, x, x, mask)
            out1 = self.layernorm1(x + self.dropout1(attn_output, training=training))
            ffn_output = self.dropout2(self.ffn(out1), training=training)
            return self.layernorm2(out1 + ffn_output)

    class Encoder(keras.layers.Layer):
        def __init__(self, num_layers, d_model, num_heads, dff, maximum_position_encoding, rate=0.1):
            super().__init__()
            self.d_model, self.num_layers = d_model, num_layers
            self.pos_encoding = positional_encoding(maximum_position_encoding, d_model)
            self.enc_layers = [EncoderLayer(d_model, num_heads, dff, rate) for _ in range(num_layers)]
            self.dropout = keras.layers.Dropout(rate)

        def call(self, x, training=None, mask=None):
            seq_len = tf.shape(x)[1]
            x *= tf.math.sqrt(tf.cast(self.d_model, tf.float32))
            x += self.pos_encoding[:, :seq_len, :]
            x = self.dropout(x, training=training)
            for i in range(self.num_layers):
                x = self.enc_layers[i](x, training=training, mask=mask)
            return x

    return Encoder


def build(experiment, n_classes, lr):
    """models.py: rnn_classifier / transformer_classifier, compiled as upstream."""
    from tensorflow import keras
    from tensorflow.keras.layers import GRU, Bidirectional, Dense, Dropout, GlobalAvgPool1D, Input

    d_model = 128
    inp = Input((None, d_model))
    if experiment == "seed002-gru":
        x = Bidirectional(GRU(d_model, return_sequences=True))(inp)
        for _ in range(2 - 1):
            x = Bidirectional(GRU(d_model, return_sequences=True))(x)
    elif experiment == "seed002-transformer":
        Encoder = transformer_layers()
        x = Encoder(num_layers=4, d_model=d_model, num_heads=8, dff=256, maximum_position_encoding=2048, rate=0.3)(inp)
    else:
        raise SystemExit(f"seed002_keras.py: unknown experiment {experiment}")
    x = Dropout(0.2)(x)
    x = GlobalAvgPool1D()(x)
    x = Dense(4 * n_classes, activation="selu")(x)
    out = Dense(n_classes, activation="sigmoid")(x)
    model = keras.Model(inputs=inp, outputs=out)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=custom_binary_crossentropy)
    return model


def data_generator(samples, batch_size, n_classes):
    """prepare_data.DataGenerator: ⌊N / batch / 10⌋ batches (at least one here), reshuffled each epoch.

    As a tf.data generator re-run each epoch: Keras 3 fixes a PyDataset's shapes from its first
    batch, and each batch here has its own crop length (tf.keras 2.0's Sequence allowed that)."""
    import tensorflow as tf

    indexes = np.arange(len(samples))
    n_batches = max(1, int(np.floor(len(samples) / batch_size / 10)))

    def epoch():
        np.random.shuffle(indexes)  # on_epoch_end (and __init__): a fresh order for every epoch
        for index in range(n_batches):
            idx = indexes[index * batch_size:(index + 1) * batch_size]
            crop_size = np.random.randint(128, 256)
            x = np.array([random_crop(samples[k][0], crop_size=crop_size) for k in idx], dtype=np.float32)
            y = np.array([samples[k][1] for k in idx], dtype=np.float32)
            yield x, y

    sig = (tf.TensorSpec((None, None, N_MELS), tf.float32), tf.TensorSpec((None, n_classes), tf.float32))
    return tf.data.Dataset.from_generator(epoch, output_signature=sig)


def ap_scores(y, pred):
    """evaluate.py's support-weighted mean of per-class AP over classes with a positive, and sklearn's micro AP."""
    from sklearn.metrics import average_precision_score

    total, weighted = 0, 0.0
    for i in range(y.shape[1]):
        if np.sum(y[:, i]) > 0:
            weighted += np.sum(y[:, i]) * average_precision_score(y[:, i], pred[:, i])
            total += np.sum(y[:, i])
    return float(weighted / total), float(average_precision_score(y, pred, average="micro"))


def predict_crops(model, feats, repeats):
    """evaluate.py: chunks of 128, one crop length per chunk, `repeats` random crops averaged."""
    out = []
    for pos in range(0, len(feats), 128):
        chunk = feats[pos:pos + 128]
        crop_size = np.random.randint(128, 256)
        y = 0
        for _ in range(repeats):
            x = np.array([random_crop(a, crop_size=crop_size) for a in chunk])
            y += model.predict(x, verbose=0) / repeats
        out.append(y)
    return np.concatenate(out)


def main():
    args = parser(__doc__).parse_args()
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    from tensorflow import keras

    keras.utils.set_random_seed(args.seed)
    timer = Timer()
    split = read_split(args.split_in)
    any_path = next(iter(split["tracks"].values()))["path"]
    genres, mapping = fma_metadata(any_path)
    feats = features_by_track(split, "seed002-mel128-16k", lambda p: load_audio_file(p, np.random.RandomState(int(os.path.basename(p).split(".")[0]) % 2**32)), args.cache)
    part = {}
    for name in ("train", "val", "test"):
        tids = [ex.rsplit("#", 1)[0] for ex in split[name]]
        part[name] = [(feats[t], labels_to_vector(genres[t], mapping)) for t in tids]
    epochs = args.epochs or EPOCHS
    lr = args.lr or LR
    model = build(args.experiment, len(mapping), lr)
    with tempfile.TemporaryDirectory() as tmp:
        h5 = os.path.join(tmp, "best.weights.h5")
        checkpoint = keras.callbacks.ModelCheckpoint(h5, monitor="val_loss", verbose=0, save_best_only=True, mode="min", save_weights_only=True)
        reduce_o_p = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=20, min_lr=1e-7, mode="min")
        hist = model.fit(data_generator(part["train"], BATCH, len(mapping)), validation_data=data_generator(part["val"], BATCH, len(mapping)), epochs=epochs, callbacks=[checkpoint, reduce_o_p], verbose=0)
        model.load_weights(h5)
    val_loss = hist.history["val_loss"]
    test_x = [f for f, _ in part["test"]]
    y = np.array([v for _, v in part["test"]])
    ap1, micro1 = ap_scores(y, predict_crops(model, test_x, 1))
    ap16, micro16 = ap_scores(y, predict_crops(model, test_x, 16))
    report(
        side="reference", framework=f"keras {keras.__version__} (tensorflow {tf.__version__})", experiment=args.experiment,
        ap=ap16, apWeighted=ap1, apWeightedTta=ap16, apMicro=micro1, apMicroTta=micro16,
        outputs=len(mapping), params=int(model.count_params()),
        epochsRun=len(val_loss), epochs=epochs, lr=lr, bestEpoch=int(np.argmin(val_loss)) + 1, seconds=timer.seconds(),
        counts={k: len(v) for k, v in part.items()},
    )


if __name__ == "__main__":
    main()
