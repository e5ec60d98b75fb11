/** Run kinds in words, for lists an analyst reads (the delete question, notices). */
const WORDS: Record<string, string> = {
  import: 'dataset import',
  train: 'training',
  similarity: 'similarity measurement',
  'attack-sweep': 'attack sweep',
  'defense-table': 'defense table',
  explain: 'explanation maps',
  'explain-adversarial': 'explanation of an adversarial image',
  sanity: 'saliency sanity check',
  'saliency-pgd': 'saliency-enhanced PGD comparison',
  'model-import': 'model import',
  'model-export': 'model export'
}

export function runKindWords(kind: string): string {
  return WORDS[kind] ?? kind
}
