//! English stemming that remembers: a token filter for building indexes.
//!
//! Building the index of a large pack set stems every word of every field twice (once for
//! tantivy's index, once for the impact lists), and stemming was a third of a cold build's
//! instructions at 10 000 entries. The words repeat: a pack set has a vocabulary of a few
//! tens of thousands of words and millions of tokens. [`CachedStemmer`] stems each distinct
//! word once per analyzer and looks the rest up. It gives exactly the tokens of tantivy's
//! `Stemmer` (a stem depends on the word alone), so documents analysed with it and queries
//! analysed with the plain one meet on the same terms (test
//! `the_remembering_stemmer_stems_as_tantivy_does`).
//!
//! Each analyzer clone keeps its own words (no lock); it is meant for analyzers that live as
//! long as one build. Query analysis clones its analyzer per query and stays with the plain
//! stemmer.

use std::mem;

use tantivy::tokenizer::{
    Language, RawTokenizer, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

use super::analysis::TermMap;

/// Words longer than this are stemmed every time rather than kept (they are rare, and the
/// analyzer drops tokens of 48 bytes or more anyway).
const LONGEST_KEPT: usize = 48;

/// English stemming with each distinct word stemmed once (see the module docs).
#[derive(Clone, Default)]
pub(super) struct CachedStemmer;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            inner: tokenizer,
            stems: TermMap::default(),
            stemmer: plain_stemmer(),
        }
    }
}

/// A one-token analyzer with tantivy's English stemmer: what a word not yet seen is
/// stemmed with.
fn plain_stemmer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The tokenizer [`CachedStemmer`] makes: the words stemmed so far, and the stemmer.
#[derive(Clone)]
pub(super) struct CachedStemmerFilter<T> {
    inner: T,
    stems: TermMap<String>,
    stemmer: TextAnalyzer,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stems: &mut self.stems,
            stemmer: &mut self.stemmer,
        }
    }
}

/// The token stream of [`CachedStemmerFilter`].
pub(super) struct CachedStemmerStream<'a, T> {
    tail: T,
    stems: &'a mut TermMap<String>,
    stemmer: &'a mut TextAnalyzer,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.stems.get(token.text.as_str()) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem = stem_one(self.stemmer, &token.text);
        let word = mem::replace(&mut token.text, stem);
        if word.len() <= LONGEST_KEPT {
            self.stems.insert(word, token.text.clone());
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The stem of one word, by tantivy's stemmer.
fn stem_one(stemmer: &mut TextAnalyzer, word: &str) -> String {
    let mut stream = stemmer.token_stream(word);
    if stream.advance() {
        mem::take(&mut stream.token_mut().text)
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{analyzer, build_analyzer};

    fn tokens(an: &mut tantivy::tokenizer::TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = an.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn the_remembering_stemmer_stems_as_tantivy_does() {
        let shipped: Vec<String> = crate::embedded::sources()
            .iter()
            .flat_map(|p| p.files.iter().map(|f| f.text.clone()))
            .collect();
        let queries = include_str!("../../../tests/data/dev-queries.jsonl");
        let odd = "Ünïcödé naïve café CAFÉ ﬁle straße İstanbul 東京 running runs ran \
                   connection's connections' a\u{0}b \u{202e}evil x̸y";
        let mut plain = analyzer();
        // one analyzer for all texts: later texts are stemmed from what it remembers
        let mut remembering = build_analyzer();
        for text in shipped
            .iter()
            .map(String::as_str)
            .chain([queries, odd, queries])
        {
            for line in text.lines() {
                assert_eq!(
                    tokens(&mut remembering, line),
                    tokens(&mut plain, line),
                    "{line}"
                );
            }
        }
    }
}
