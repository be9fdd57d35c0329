/* The census income wide & deep model of TensorFlow's samples with the C++
 * wrapper (bindings/cpp/tfc.hpp): the columns of examples/common/census_model.c
 * (vocabulary and hash columns, age buckets and three crosses for the wide
 * part; indicators, embeddings and standardized numbers for the deep part),
 * trained on adult.data, evaluated on all of adult.test, then exported.
 *
 *   census_wide_deep [DATA_DIR [MODEL_DIR]]
 *
 * DATA_DIR holds adult.data and adult.test (default $TFC_SHARED_DATA/census,
 * else the repository's ../shared/data/census). MODEL_DIR defaults to a temporary directory,
 * removed at the end.
 */
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>

#include "tfc.hpp"

namespace fc = tfc::feature_column;

// ---- the data: adult.data's columns and the vocabularies of its categorical ones ------------------------------
static const std::map<std::string, std::vector<std::string>> vocabulary = {
    {"gender", {"Female", "Male"}},
    {"race", {"Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"}},
    {"education",
     {"Bachelors", "HS-grad", "11th", "Masters", "9th", "Some-college", "Assoc-acdm", "Assoc-voc", "7th-8th",
      "Doctorate", "Prof-school", "5th-6th", "10th", "1st-4th", "Preschool", "12th"}},
    {"marital_status",
     {"Married-civ-spouse", "Divorced", "Married-spouse-absent", "Never-married", "Separated", "Married-AF-spouse",
      "Widowed"}},
    {"relationship", {"Husband", "Not-in-family", "Wife", "Own-child", "Unmarried", "Other-relative"}},
    {"workclass",
     {"Federal-gov", "Local-gov", "Never-worked", "Private", "Self-emp-inc", "Self-emp-not-inc", "State-gov",
      "Without-pay"}}};

static tfc::CsvSchema census_schema()
{
    tfc::CsvSchemaOptions text;
    text.missing_value = "?";  // unknown values become "", which is out of every vocabulary
    text.comment_prefix = "|"; // adult.test's first line
    tfc::CsvSchema schema(text);
    const std::set<std::string> numbers = {"age",          "fnlwgt",       "education_num",
                                           "capital_gain", "capital_loss", "hours_per_week"};
    for (std::string c :
         {"age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation", "relationship",
          "race", "gender", "capital_gain", "capital_loss", "hours_per_week", "native_country"})
        schema.add_column(c, numbers.count(c) ? TFC_FLOAT : TFC_STRING,
                          numbers.count(c) ? std::nullopt : std::make_optional<std::string>(""));
    // the label: "<=50K" -> 0, ">50K" -> 1 (adult.test writes ">50K.")
    schema.add_column("income_bracket", TFC_INT64)
        .set_label_vocabulary("income_bracket", {"<=50K", ">50K"}, TFC_LABEL_STRIP_TRAILING_PERIOD);
    return schema;
}

static int run(const std::string &data, const std::string &model_dir)
{
    // ---- the model --------------------------------------------------------------------------------------------
    tfc::CsvSchema schema = census_schema();
    // Read adult.data once: the training input, and the numbers' mean and stddev.
    tfc::CsvBatch train = *tfc::CsvReader(schema, data + "/adult.data", {1 << 24}).next_batch();
    std::map<std::string, tfc::Tensor> features;
    for (int i = 0; i < 14; i++) features[schema.column_name(i)] = train.columns[i];
    auto standardized = [&](const std::string &key) {
        std::vector<float> v = features[key].values<float>();
        double n = static_cast<double>(v.size()), mean = 0, var = 0;
        for (float x : v) mean += x / n;
        for (float x : v) var += (x - mean) * (x - mean) / n;
        return fc::numeric_column(key, [mean, sd = std::sqrt(var)](tfc::Output x) { return (x - mean) / sd; });
    };
    auto vocab = [](const char *k) { return fc::categorical_column_with_vocabulary_list(k, vocabulary.at(k), 1); };
    auto gender = vocab("gender"), race = vocab("race"), education = vocab("education");
    auto marital = vocab("marital_status"), relationship = vocab("relationship"), workclass = vocab("workclass");
    auto occupation = fc::categorical_column_with_hash_bucket("occupation", 1000);
    auto country = fc::categorical_column_with_hash_bucket("native_country", 1000);
    auto age = fc::bucketized_column(fc::numeric_column("age"), {18, 25, 30, 35, 40, 45, 50, 55, 60, 65});

    std::vector<tfc::FeatureColumn> wide = {gender,  country,      education, occupation, workclass,
                                            marital, relationship, race,      age};
    wide.push_back(fc::crossed_column({"education", "occupation"}, 10000));
    wide.push_back(fc::crossed_column({age, "education", "occupation"}, 1000000));
    wide.push_back(fc::crossed_column({"native_country", "occupation"}, 10000));
    std::vector<tfc::FeatureColumn> deep = {fc::embedding_column(country, 8), fc::embedding_column(occupation, 8)};
    for (auto c : {workclass, education, marital, gender, relationship, race}) deep.push_back(fc::indicator_column(c));
    for (auto k : {"age", "education_num", "capital_gain", "capital_loss", "hours_per_week"})
        deep.push_back(standardized(k));

    auto opts = tfc::EstimatorOptions::dnn_linear_combined_classifier(wide, deep, {100, 70, 49, 34});
    opts.label_vocabulary = {"<=50K", ">50K"};
    opts.linear_optimizer = tfc::optimizers::ftrl(0.05);
    opts.dnn_optimizer = tfc::optimizers::adagrad(0.05);
    opts.config.model_dir = model_dir;
    opts.config.tf_random_seed = 1;
    tfc::Estimator estimator(opts);

    // 3,000 steps of 40 shuffled examples; then all of adult.test in batches of 1,000.
    estimator.train(tfc::Input::from_tensors(features, train.columns[14], {40, 0, true}), 3000);
    auto metrics = estimator.evaluate(tfc::Input::from_csv(schema, data + "/adult.test", "income_bracket", {1000}));
    for (const auto &[name, value] : metrics) std::cout << "  " << name << " = " << value << "\n";
    std::cout << "exported to " << estimator.export_saved_model(model_dir + "/export") << "\n";
    // ---- end of the model -------------------------------------------------------------------------------------
    return metrics["accuracy"] > 0.8 ? 0 : 1;
}

int main(int argc, char **argv)
{
#ifdef TFC_SOURCE_ROOT
    const char *repository_data = TFC_SOURCE_ROOT "/../shared/data"; // built by meson
#else
    const char *repository_data = "../shared/data"; // from the repository's root
#endif
    const char *shared = getenv("TFC_SHARED_DATA");
    std::string data = argc > 1 ? argv[1] : std::string(shared && *shared ? shared : repository_data) + "/census";
    std::string model_dir;
    bool temporary = argc <= 2;
    if (temporary) {
        const char *tmp = getenv("TMPDIR");
        std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/census_wide_deep_XXXXXX";
        if (!mkdtemp(tmpl.data())) {
            perror("census_wide_deep: mkdtemp");
            return 1;
        }
        model_dir = tmpl;
    } else {
        model_dir = argv[2];
    }
    int rc;
    try {
        rc = run(data, model_dir);
    } catch (const tfc::Error &e) {
        std::cerr << "census_wide_deep: " << e.code_name() << ": " << e.what() << "\n";
        rc = 1;
    }
    if (temporary) {
        std::error_code ec;
        std::filesystem::remove_all(model_dir, ec);
    }
    return rc;
}
