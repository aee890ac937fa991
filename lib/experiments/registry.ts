/**
 * The experiments (`genre-lab list`). `full` profiles carry the seeds' settings as read in their
 * code (see each `source`); `smoke` profiles are tiny runs that finish in seconds on two cores and
 * only show the pipeline works; `default` profiles (npm start) learn on the generated set in seconds
 * to a minute each, enough for every notebook to show its point.
 */
import { audioLstm, genreLstm } from '../models/lstm';
import { biGruClassifier } from '../models/gru';
import { lectureCnn, lectureMlp, lectureRnn } from '../models/lecture';
import { mfccCnn, trackCnn } from '../models/cnn';
import { transformerClassifier } from '../models/transformer';
import type { ExperimentConfig, TrainSettings } from './types';

/** Seed 003 (lectures): librosa MFCC 13 of 10 segments per 30-s track → 130 frames × 13. */
const LECTURE_DATA = {
  dataset: 'gtzan',
  task: 'single-label',
  cut: { kind: 'segments', n: 10, samplesPerTrack: 661500, hop: 512 },
  features: { kind: 'mfcc', nMfcc: 13, sampleRate: 22050 },
  frames: 130,
  defaultSplit: 'seed',
  seed: 42,
  output: 'softmax',
  framework: 'keras',
} as const;

// Keras Adam: ε = 1e-7. PyTorch Adam: ε = 1e-8.
const kerasAdam = (learningRate: number) => ({ name: 'adam', learningRate, epsilon: 1e-7 }) as const;
const torchAdam = (learningRate: number) => ({ name: 'adam', learningRate, epsilon: 1e-8 }) as const;

const lectureSmoke: TrainSettings = { epochs: 10, batchSize: 32, optimizer: kerasAdam(1e-3), maxTracksPerClass: 6 };
/** The default profile (npm start): every track of the generated set, long enough to learn. */
const lectureDefault: TrainSettings = { epochs: 30, batchSize: 32, optimizer: kerasAdam(1e-3) };

/** Seed 002's data, shared by its two encoders: FMA multi-label on 128-band mel crops at 16 kHz. */
const SEED002_DATA = {
  dataset: 'fma',
  task: 'multi-label',
  cut: { kind: 'head', seconds: null },
  features: { kind: 'mel-db-scaled', nMels: 128, sampleRate: 16000 },
  layout: 'time-major',
  frames: null,
  fractions: { test: 0.2, val: 0.2 },
  defaultSplit: 'seed',
  seed: 1337,
  output: 'sigmoid',
  framework: 'keras',
} as const;

/**
 * Seed 002's training (its author's code, rnn_/trsf_genre_classification.py): 50 epochs of a tenth of the
 * set each (its Sequence's ⌊N / 32 / 10⌋ batches), Adam 1e-5, Keras ReduceLROnPlateau, best-val checkpointing, 16-crop TTA.
 */
const SEED002_FULL: TrainSettings = {
  epochs: 50, batchSize: 32, optimizer: kerasAdam(1e-5), crop: { min: 128, max: 256 }, ttaCrops: 16, dropLast: true, epochShare: 0.1,
  scheduler: { kind: 'plateau', style: 'keras', monitor: 'valLoss', mode: 'min', patience: 20, minLr: 1e-7, threshold: 1e-4, thresholdMode: 'abs' },
  earlyStopping: { monitor: 'valLoss', patience: 1_000_000 },
};

/** Seed 004's README design (EnrcDamn/MusicGenreClassifier-PyTorch): whole-track log-mel 128 × 1293, track split, its training. */
const SEED004_README = {
  source: 'seed 004, EnrcDamn/MusicGenreClassifier-PyTorch README + cnn.py',
  dataset: 'gtzan',
  task: 'single-label',
  cut: { kind: 'head', seconds: null },
  features: { kind: 'log-mel', nMels: 128, sampleRate: 22050 },
  layout: 'image',
  frames: 1293,
  fractions: { test: 0.2, val: 0.2 },
  defaultSplit: 'track',
  seed: 42,
  framework: 'torch',
  profiles: {
    smoke: { epochs: 8, batchSize: 16, optimizer: torchAdam(1e-3), maxTracksPerClass: 6 },
    default: { epochs: 15, batchSize: 16, optimizer: torchAdam(1e-3) },
    full: { epochs: 10, batchSize: 128, optimizer: torchAdam(1e-3) },
  },
} as const;

/** Seed 001's starting point trains on 8 GTZAN genres: the upstream code has no blues and no rock. */
const EIGHT_GENRES = ['classical', 'country', 'disco', 'hiphop', 'jazz', 'metal', 'pop', 'reggae'] as const;

export const EXPERIMENTS: ExperimentConfig[] = [
  {
    ...LECTURE_DATA,
    id: 'lecture-mlp',
    title: 'Lecture MLP on MFCC segments (flatten → 512 → 256 → 64 → 10)',
    source: 'seed 003, lecture 13 (Velardo, Deep Learning for Audio with Python)',
    layout: 'time-major',
    fractions: { test: 0.3, val: 0 },
    build: (s, c, o) => lectureMlp({ inputShape: s as [number, number], numClasses: c, ...o }),
    // default: the upstream repo's 1e-4 (the lecture's 1e-3 fits the generated set too fast to show overfitting)
    profiles: { smoke: lectureSmoke, default: { epochs: 50, batchSize: 32, optimizer: kerasAdam(1e-4) }, full: { epochs: 50, batchSize: 32, optimizer: kerasAdam(1e-3) } },
    notes: [
      'The lecture validates on its test split (validation_data=(inputs_test, targets_test)); here validation is carved from train instead when val > 0, else the test split is reported once at the end.',
      "Adam 1e-3 as the lecture (seed write-up); the upstream repo's mlp_genre_classifier.py has 1e-4.",
    ],
  },
  {
    ...LECTURE_DATA,
    id: 'lecture-mlp-regularised',
    title: 'Lecture MLP with L2 0.001 and dropout 0.3',
    source: 'seed 003, lecture 14',
    layout: 'time-major',
    fractions: { test: 0.3, val: 0 },
    build: (s, c, o) => lectureMlp({ inputShape: s as [number, number], numClasses: c, l2: 0.001, dropout: 0.3, ...o }),
    profiles: { smoke: lectureSmoke, default: { epochs: 100, batchSize: 32, optimizer: kerasAdam(1e-4) }, full: { epochs: 50, batchSize: 32, optimizer: kerasAdam(1e-3) } },
    notes: ['L2 sits on each hidden kernel (kernel_regularizer), as in Keras.', "Adam 1e-3 and 50 epochs as the lecture; the upstream repo's solving_overfitting.py has 1e-4 and 100 epochs.", "The default profile trains as the upstream repo (1e-4, 100 epochs): at 1e-3 the plain MLP fits the generated set too fast for the overfitting gap to show."],
  },
  {
    ...LECTURE_DATA,
    id: 'lecture-cnn',
    title: 'Lecture CNN: 3 × conv 32 + max-pool + batch norm, dense 64',
    source: 'seed 003, lecture 16',
    layout: 'image-time-major',
    fractions: { test: 0.25, val: 0.2 },
    build: (s, c, o) => lectureCnn({ inputShape: s as [number, number, number], numClasses: c, ...o }),
    profiles: { smoke: lectureSmoke, default: { ...lectureDefault, epochs: 20 }, full: { epochs: 30, batchSize: 32, optimizer: kerasAdam(1e-4) } },
    notes: [],
  },
  {
    ...LECTURE_DATA,
    id: 'lecture-lstm',
    title: 'Lecture RNN: LSTM 64 → LSTM 64 → dense 64 → dropout 0.3',
    source: 'seed 003, lecture 19',
    layout: 'time-major',
    fractions: { test: 0.25, val: 0.2 },
    build: (s, c, o) => lectureRnn({ inputShape: s as [number, number], numClasses: c, ...o }),
    profiles: { smoke: { ...lectureSmoke, model: { units: 16, dense: 16 } }, default: lectureDefault, full: { epochs: 30, batchSize: 32, optimizer: kerasAdam(1e-4) } },
    notes: ["The lecture's code has a typo (keras.layers.dropout) and never ran; this is the network it describes."],
  },
  {
    id: 'seed000-lstm',
    title: 'AudioLSTM: 3 × LSTM 256 on 40 mel + 40 MFCC of 3-s chunks',
    source: 'seed 000 (RNN Music Analysis and Classification)',
    dataset: 'gtzan',
    task: 'single-label',
    cut: { kind: 'chunks', ms: 3000, max: 10, samples: 66000 },
    features: { kind: 'torch-mel-mfcc', nMels: 40, nMfcc: 40, sampleRate: 22050 },
    layout: 'time-major',
    frames: 331,
    fractions: { test: 0.3, val: 0.1 },
    defaultSplit: 'seed',
    seed: 17,
    output: 'logits',
    framework: 'torch',
    build: (s, c, o) => audioLstm({ timeSteps: s[0], nFeatures: s[1] as number, numClasses: c, ...o }),
    profiles: {
      smoke: { epochs: 6, batchSize: 50, optimizer: torchAdam(1e-3), clipNorm: 1, maxTracksPerClass: 4, model: { hidden: 32 }, earlyStopping: { monitor: 'valLoss', patience: 20, restoreBestWeights: 'on-stop' } },
      default: { epochs: 15, batchSize: 50, optimizer: torchAdam(1e-3), clipNorm: 1, model: { hidden: 64 }, earlyStopping: { monitor: 'valLoss', patience: 20, restoreBestWeights: 'on-stop' } },
      full: { epochs: 200, batchSize: 50, optimizer: torchAdam(1e-3), clipNorm: 1, earlyStopping: { monitor: 'valLoss', patience: 20, restoreBestWeights: 'on-stop' } },
    },
    notes: [
      "The seed's training loader uses dataset_train while the validation set was split off into a misspelt variable (dataet_train), so its validation chunks were also trained on; here they are held out (--train-on-val trains on them too, as the seed did).",
      'Early stopping reloads the best weights only when it stops early, as the seed (model.pt reloaded on stopping); a run that reaches the epoch limit keeps its last weights.',
      'Chunks of one track land on both sides of the seed split (random_split over chunks); use --split track for a leakage-free number.',
    ],
  },
  {
    id: 'seed001-lstm',
    title: '2-layer LSTM(33 → 128) with dropout and ReduceLROnPlateau on accuracy',
    source: 'seed 001 (XNAP project 5, lstm_pytorch_optim), after ruohoruotsi/LSTM-Music-Genre-Classification',
    dataset: 'gtzan',
    task: 'single-label',
    classes: EIGHT_GENRES,
    // as upstream: features of the whole loaded track, then its first 128 frames
    cut: { kind: 'head', seconds: null },
    features: { kind: 'features33', sampleRate: 22050 },
    layout: 'time-major',
    frames: 128,
    fractions: { test: 0.2, val: 0.2 },
    defaultSplit: 'track',
    seed: 42,
    output: 'logits',
    framework: 'torch',
    build: (s, c, o) => genreLstm({ timeSteps: s[0], nFeatures: s[1] as number, numClasses: c, dropout: 0.2, ...o }),
    profiles: {
      smoke: { epochs: 15, batchSize: 35, optimizer: torchAdam(1e-3), maxTracksPerClass: 8, scheduler: { kind: 'plateau', monitor: 'valAccuracy', mode: 'max', patience: 10, factor: 0.1 } },
      default: { epochs: 60, batchSize: 35, optimizer: torchAdam(1e-3), scheduler: { kind: 'plateau', monitor: 'valAccuracy', mode: 'max', patience: 10, factor: 0.1 } },
      full: { epochs: 400, batchSize: 35, optimizer: torchAdam(1e-3), scheduler: { kind: 'plateau', monitor: 'valAccuracy', mode: 'max', patience: 10, factor: 0.1 } },
    },
    notes: [
      'One example per track (its first 128 frames), so the seed split is a track split.',
      "Dropout rate 0.2 is ours: the seed's write-up adds dropout without stating the rate.",
      "The seed's '_m' variant computes the features from log-mel spectrograms; this uses the upstream 33 features (lib/features ruohoruotsiFeatures33).",
      'The upstream README reports test accuracy 0.683 with Adam 1e-3, batch 35, 400 epochs.',
    ],
  },
  {
    id: 'seed001-cnn',
    title: 'CNN on MFCC images (3 × conv 3×3 + batch norm + max-pool, dense, dropout)',
    source: 'seed 001, model_cnn.ipynb',
    dataset: 'gtzan',
    task: 'single-label',
    classes: EIGHT_GENRES,
    cut: { kind: 'segments', n: 5 },
    features: { kind: 'mfcc', nMfcc: 13, sampleRate: 22050 },
    layout: 'image',
    frames: 259,
    fractions: { test: 0.2, val: 0.2 },
    defaultSplit: 'track',
    seed: 42,
    output: 'logits',
    framework: 'torch',
    build: (s, c, o) => mfccCnn({ inputShape: s as [number, number, number], numClasses: c, ...o }),
    profiles: {
      // 3 tracks per genre leave 7 per genre unseen, which test/predict.test.ts predicts on
      smoke: { epochs: 8, batchSize: 32, optimizer: torchAdam(1e-3), maxTracksPerClass: 3 },
      default: { epochs: 15, batchSize: 32, optimizer: torchAdam(1e-3) },
      full: { epochs: 30, batchSize: 32, optimizer: torchAdam(1e-3) },
    },
    notes: [
      "The seed's CNN notebook does not run (its data preparation fails), so channels, dense width, optimizer and epochs are ours.",
      'The seed split its tracks before segmenting them, so the default is the track split; --split seed splits segments at random (segments of one track on both sides: a leak the seed did not have).',
    ],
  },
  {
    id: 'seed002-gru',
    title: 'Bidirectional GRU on mel crops, multi-label FMA genres (AUC-PR)',
    source: 'seed 002, CVxTz/music_genre_classification rnn_genre_classification.py + models.py',
    ...SEED002_DATA,
    build: (s, c, o) => biGruClassifier({ nMels: s[1] as number, numClasses: c, ...o }),
    profiles: {
      smoke: { epochs: 2, batchSize: 8, optimizer: kerasAdam(1e-3), maxTracksPerClass: 6, crop: { min: 32, max: 64 }, ttaCrops: 4, model: { units: 16, layers: 1 } },
      default: { epochs: 20, batchSize: 8, optimizer: kerasAdam(1e-3), crop: { min: 64, max: 128 }, ttaCrops: 8, model: { units: 32, layers: 1 } },
      full: SEED002_FULL,
    },
    notes: [
      'Loss: BCE with positives weighted ×4, summed over classes (custom_binary_crossentropy).',
      "The seed's 'micro-average' AUC-PR is sklearn average='weighted'; metrics.json reports it as apWeighted beside the true micro AP.",
      "ReduceLROnPlateau with Keras' semantics (style 'keras': reduces after `patience` bad epochs, min_delta 1e-4 absolute), as the seed's Keras callback.",
      'ModelCheckpoint(save_best_only on val_loss) is early stopping that never stops: the best epoch is restored.',
      'The seed splits with train_test_split(test_size=0.2, random_state=1337, stratify=genre) and validates on that split; here a validation part is carved from train.',
      "Full profile as rnn_/trsf_genre_classification.py: 50 epochs, each ⌊N / 32 / 10⌋ batches (its Sequence's length: a reshuffled tenth of the set), for training and validation alike.",
      "Classes: the genres that occur in the chosen tracks (about 160 on FMA large, 11 on the 30-track sample); the seed's mapping.json has one output per genres.csv row (163: 768,595 / 720,467 parameters), so the heads are smaller where genres are missing.",
      'Test-time crops: 16 of 256 frames per track; the seed draws one crop length in 128–255 per chunk of 128 tracks.',
    ],
  },
  {
    id: 'seed002-transformer',
    title: 'Transformer encoder on mel crops, multi-label FMA genres (AUC-PR)',
    source: 'seed 002, CVxTz/music_genre_classification trsf_genre_classification.py + models.py + transformer.py',
    ...SEED002_DATA,
    build: (s, c, o) => transformerClassifier({ nMels: s[1] as number, numClasses: c, ...o }),
    profiles: {
      smoke: { epochs: 2, batchSize: 8, optimizer: kerasAdam(1e-3), maxTracksPerClass: 6, crop: { min: 32, max: 64 }, ttaCrops: 4, model: { layers: 1, dff: 64 } },
      default: { epochs: 20, batchSize: 8, optimizer: kerasAdam(1e-3), crop: { min: 64, max: 128 }, ttaCrops: 8, model: { layers: 1, dff: 64 } },
      full: SEED002_FULL,
    },
    notes: [
      'Same data, loss, scheduler and evaluation as seed002-gru; only the encoder differs.',
      'Multi-head attention and sinusoidal positions are our own tfjs layers (lib/models/attention.ts): tfjs 4.22 exports none.',
    ],
  },
  {
    ...SEED004_README,
    id: 'seed004-cnn',
    title: '4-conv CNN on whole-track mel spectrograms (the README design)',
    output: 'logits',
    build: (s, c, o) => trackCnn({ inputShape: s as [number, number, number], numClasses: c, ...o }),
    notes: [
      "The seed's README describes mel spectrograms of whole tracks; its code uses 20 MFCCs of the first second (experiment seed004-cnn-code).",
      "The seed applies softmax in forward() and again inside CrossEntropyLoss; the model here emits logits and the loss applies the one softmax (the seed's double softmax: seed004-cnn-faithful).",
      'One example per track, so the seed split is a track split.',
    ],
  },
  {
    ...SEED004_README,
    id: 'seed004-cnn-faithful',
    title: "seed004-cnn as the seed trains it: softmax layer + CrossEntropyLoss (double softmax)",
    output: 'softmax',
    loss: 'cross-entropy-from-logits',
    build: (s, c, o) => trackCnn({ inputShape: s as [number, number, number], numClasses: c, softmax: true, ...o }),
    notes: [
      "The seed's own model: nn.Softmax at the end of forward(), trained with nn.CrossEntropyLoss, which applies log-softmax again. The loss then sees scores in [0, 1], its gradients are squashed and training collapses towards one class; seed004-cnn is the corrected model.",
      'One example per track, so the seed split is a track split.',
    ],
  },
  {
    id: 'seed004-cnn-code',
    title: '4-conv CNN on 20 MFCCs of the first second (what the seed\'s code does)',
    source: 'seed 004, EnrcDamn/MusicGenreClassifier-PyTorch cnn.py, GTZAN_dataset.py, cnn_train.py',
    dataset: 'gtzan',
    task: 'single-label',
    cut: { kind: 'head', seconds: 1 },
    features: { kind: 'torch-mfcc-logmel', nMfcc: 20, sampleRate: 22050 },
    layout: 'image',
    frames: 111,
    fractions: { test: 0.2, val: 0.2 },
    defaultSplit: 'track',
    seed: 42,
    output: 'logits',
    framework: 'torch',
    build: (s, c, o) => trackCnn({ variant: 'code', inputShape: s as [number, number, number], numClasses: c, ...o }),
    profiles: {
      smoke: { epochs: 3, batchSize: 32, optimizer: torchAdam(1e-3), maxTracksPerClass: 3 },
      default: { epochs: 10, batchSize: 32, optimizer: torchAdam(1e-3) },
      full: { epochs: 10, batchSize: 128, optimizer: torchAdam(1e-3) },
    },
    notes: ['Double softmax of the seed not copied (see seed004-cnn).'],
  },
];

export function experimentIds(): string[] {
  return EXPERIMENTS.map((e) => e.id);
}

export function getExperiment(id: string): ExperimentConfig {
  const e = EXPERIMENTS.find((x) => x.id === id);
  if (!e) throw new Error(`unknown experiment '${id}'; known: ${experimentIds().join(', ')}`);
  return e;
}
